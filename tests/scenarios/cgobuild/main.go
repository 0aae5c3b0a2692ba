// SPDX-License-Identifier: MIT

// cgobuild is a cgo program (import "C"), so the external linker lays out
// the ELF: godiag must still find the build info, and CGO_ENABLED=1 must
// show in the build settings. "sleep" keeps it running for /proc tests.
package main

/*
static int twice(int x) { return 2 * x; }
*/
import "C"

import (
	"fmt"
	"os"
	"time"
)

func main() {
	fmt.Println("twice(21) =", int(C.twice(21)))
	if len(os.Args) > 1 && os.Args[1] == "sleep" {
		fmt.Println("ready")
		time.Sleep(10 * time.Minute)
	}
}
