// SPDX-License-Identifier: MIT

//go:build !withdep

package main

func extra() {}
