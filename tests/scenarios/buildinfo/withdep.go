// SPDX-License-Identifier: MIT

//go:build withdep

// Built only in module mode (-tags withdep), so the binary's modinfo carries
// a "dep" line and a "=>" replacement line for the local module in ./dep.
package main

import "example.com/bidep"

func extra() { bidep.Touch() }
