// SPDX-License-Identifier: MIT

// Package bidep is a local dependency of the buildinfo scenario.
package bidep

var n int

// Touch keeps the package linked in.
func Touch() { n++ }
