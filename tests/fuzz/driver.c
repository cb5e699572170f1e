// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Runs a fuzz target on files, without libFuzzer: `make test` replays the
 * seed corpus and every regression input with the ordinary build; the
 * fuzzers themselves (clang -fsanitize=fuzzer) run under `make soak`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

int main(int argc, char **argv)
{
	int i, n = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf;
		long len;

		if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
			fprintf(stderr, "cannot read %s\n", argv[i]);
			return 1;
		}
		buf = malloc(len ? len : 1);
		if (!buf || fread(buf, 1, len, f) != (size_t)len)
			return 1;
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		n++;
	}
	printf("%d inputs, no crash\n", n);
	return 0;
}
