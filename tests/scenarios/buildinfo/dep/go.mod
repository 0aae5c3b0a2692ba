module example.com/bidep

go 1.19
