// trees.go — binary-trees, the peer of allstop's run=bench:trees in Go,
// cross-compiled for linux/arm64 and run under qemu-aarch64 by
// tools/bench-peers.  The workload is the one of tools/peers/trees.c (see
// its top comment): a stretch tree, a long-lived tree, then for each depth
// 2^(max_depth-d+min_depth) trees built, checked and dropped by WORKERS
// goroutines (worker w takes iterations/WORKERS, the first
// iterations%WORKERS one more).  GOMAXPROCS chooses the cores; with
// GODEBUG=gctrace=1 the runtime reports every collection on stderr.
//
// Usage: trees DEPTH [LONG [WORKERS]]
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

type node struct {
	left, right *node
}

const minDepth = 4

func build(depth int) *node {
	if depth == 0 {
		return &node{}
	}
	left := build(depth - 1)
	return &node{left, build(depth - 1)}
}

func check(n *node) int64 {
	if n.left == nil {
		return 1
	}
	return 1 + check(n.left) + check(n.right)
}

func argInt(s, what string) int {
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v > 30 {
		fmt.Fprintf(os.Stderr, "trees: %s must be a number 0..30, not '%s'\n", what, s)
		os.Exit(2)
	}
	return v
}

func main() {
	t0 := time.Now()
	if len(os.Args) < 2 || len(os.Args) > 4 {
		fmt.Fprintln(os.Stderr, "usage: trees DEPTH [LONG [WORKERS]]")
		os.Exit(2)
	}
	maxDepth := argInt(os.Args[1], "DEPTH")
	if maxDepth < minDepth+2 {
		maxDepth = minDepth + 2
	}
	longDepth := maxDepth
	if len(os.Args) > 2 {
		longDepth = argInt(os.Args[2], "LONG")
	}
	workers := 1
	if len(os.Args) > 3 {
		workers = argInt(os.Args[3], "WORKERS")
	}
	if workers < 1 {
		fmt.Fprintln(os.Stderr, "trees: WORKERS must be at least 1")
		os.Exit(2)
	}

	stretch := build(maxDepth + 1)
	fmt.Printf("stretch tree of depth %d\t check: %d\n", maxDepth+1, check(stretch))
	stretch = nil

	longLived := build(longDepth)

	sums := make([]int64, workers)
	for d := minDepth; d <= maxDepth; d += 2 {
		iterations := 1 << (maxDepth - d + minDepth)
		var wg sync.WaitGroup
		for k := 0; k < workers; k++ {
			trees := iterations / workers
			if k < iterations%workers {
				trees++
			}
			sums[k] = 0
			wg.Add(1)
			go func(k, trees, depth int) {
				defer wg.Done()
				for i := 0; i < trees; i++ {
					sums[k] += check(build(depth))
				}
			}(k, trees, d)
		}
		wg.Wait()
		var sum int64
		for _, s := range sums {
			sum += s
		}
		fmt.Printf("%d\t trees of depth %d\t check: %d\n", iterations, d, sum)
	}

	fmt.Printf("long lived tree of depth %d\t check: %d\n", longDepth, check(longLived))
	fmt.Printf("wall_ms %d\n", time.Since(t0).Milliseconds())
}
