// SPDX-License-Identifier: MIT

//go:build censuscgo

// Built with -tags censuscgo: cgo on, so the binary is linked externally
// (gcc) and has the C runtime's startup; one goroutine sits in a C call.
package main

// #include <unistd.h>
// static void csleep(void) { for (;;) sleep(3600); }
import "C"

func init() { go C.csleep() }
