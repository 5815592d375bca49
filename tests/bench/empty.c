/* SPDX-License-Identifier: Apache-2.0 */
/* empty.c - the exec + dynamic-loader floor the start-up benchmarks compare against. */
int main(void)
{
	return 0;
}
