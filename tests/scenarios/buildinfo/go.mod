module example.com/buildinfo

go 1.19

require example.com/bidep v0.0.0

replace example.com/bidep => ./dep
