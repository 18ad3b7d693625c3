#!/bin/sh
# tests/host/fuzz.sh — build the libFuzzer fuzzers and run each for a bounded
# time.  Run by `make -f tests/host/Makefile fuzz` (and `run`), from the
# repository root, with its settings in the environment:
#
#   FUZZ_CC      the compiler (clang); FUZZ_CFLAGS its flags
#   FUZZ_DIR     where the fuzzers are built (build/host/fuzz)
#   FUZZ_TIME    seconds per fuzzer (-max_total_time); 0 skips the fuzzers
#   FUZZ_RUNS    a cap on inputs per fuzzer (-runs), as a safety net
#   MAKE         to build the fuzzers (target fuzz-build)
#   arguments    the fuzzer names: tests/host/fuzz_<name>.c
#
# Without a working clang it prints one line saying so and succeeds.  Otherwise
# each fuzzer starts from its own corpus, build/host/fuzz/corpus/<name>/, kept
# between runs and topped up each time with the seeds from
# tests/host/corpus/<name>/ and build/host/fuzz/seeds/<name>/ (the device
# trees).  Each fuzzer prints, on success,
#   fuzz <name>: PASS (<runs> runs in <s> s)
#   [  PASSED  ] 1 test(s).
# and on failure the end of its report, the input that failed, and
#   [  FAILED  ] 1 test(s), listed below:
#   [  FAILED  ] fuzz_<name>
# (cmocka's summary lines, which tests/run.py counts).  Every fuzzer runs even
# after a failure; the exit status is non-zero if any failed.

set -u

dir=$FUZZ_DIR
mkdir -p "$dir"

case $FUZZ_TIME in
'' | *[!0-9]*)
	echo "fuzz: FUZZ_TIME must be a whole number of seconds, not '$FUZZ_TIME'"
	exit 1
	;;
esac
# For libFuzzer -max_total_time=0 means no limit: here it means no fuzzing.
if [ "$FUZZ_TIME" -eq 0 ]; then
	echo "fuzz: skipped: FUZZ_TIME=$FUZZ_TIME"
	exit 0
fi

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	echo "fuzz: skipped: $FUZZ_CC not found (install clang to run the libFuzzer fuzzers)"
	exit 0
fi
# clang without its libFuzzer runtime (libclang-rt / libclang-common-*-dev)
# cannot link a fuzzer: a skip too, not a failure of the code under test.
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
	'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
	>"$dir/probe.c"
# shellcheck disable=SC2086 # FUZZ_CFLAGS is a list of flags
if ! $FUZZ_CC $FUZZ_CFLAGS -o "$dir/probe" "$dir/probe.c" >"$dir/probe.log" 2>&1; then
	echo "fuzz: skipped: $FUZZ_CC cannot build a -fsanitize=fuzzer program" \
		"(libFuzzer runtime missing?); see $dir/probe.log"
	exit 0
fi

$MAKE --no-print-directory -f tests/host/Makefile fuzz-build || exit 1

now() {
	date +%s.%N
}

failed=0
for name in "$@"; do
	bin=$dir/fuzz_$name
	corpus=$dir/corpus/$name
	log=$dir/$name.log
	mkdir -p "$corpus"
	for seeds in "tests/host/corpus/$name" "$dir/seeds/$name"; do
		if [ -d "$seeds" ]; then
			cp "$seeds"/* "$corpus"/ 2>/dev/null
		fi
	done
	rm -f "$dir/$name"-crash-* "$dir/$name"-leak-* "$dir/$name"-timeout-* \
		"$dir/$name"-oom-* "$dir/$name"-slow-unit-*

	# -timeout: one input taking that long is a hang, and a failure;
	# timeout(1): a last resort, should the fuzzer itself not stop.
	start=$(now)
	timeout -k 5 $((FUZZ_TIME + 60)) "$bin" -max_total_time="$FUZZ_TIME" -runs="$FUZZ_RUNS" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/$name-" "$corpus" >"$log" 2>&1
	status=$?
	secs=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)

	if [ "$status" -eq 0 ]; then
		echo "fuzz $name: PASS (${runs:-?} runs in $secs s)"
		echo "[  PASSED  ] 1 test(s)."
		continue
	fi
	failed=1
	if [ "$status" -ge 124 ]; then
		why="killed after $secs s: the fuzzer did not stop"
	else
		why="exit $status after $secs s, ${runs:-?} runs"
	fi
	echo "fuzz $name: FAIL ($why); full log: $log"
	# The report: from the sanitizer's or libFuzzer's first error line on.
	report=$(awk '/CHECK failed|^==[0-9]+==|runtime error:|^ALARM:|deadly signal/ { on = 1 }
		/^Shadow bytes/ { exit } on' "$log" | head -n 30)
	[ -n "$report" ] || report=$(tail -n 20 "$log")
	printf '%s\n' "$report" | sed 's/^/  | /'
	input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	if [ -n "$input" ]; then
		echo "  failing input: $input"
		echo "  reproduce: $bin $input"
	fi
	echo "[  FAILED  ] 1 test(s), listed below:"
	echo "[  FAILED  ] fuzz_$name"
done
exit $failed
