#!/bin/bash
# test_rails.sh - RDMA per rail on a real kernel: RDMA CM bound to each rail's address resolves to
# that rail's device (see guest_rails.sh; the librdmacm client is $BUILD/tests/rdma-resolve).
B=${BUILD:-build}
[ -x "$(dirname "$0")/../../$B/tests/rdma-resolve" ] ||
	{ echo "not ok - $B/tests/rdma-resolve is not built (make tests)"; echo "0 passed, 1 failed"; exit 1; }
RUN_BINS=/usr/lib/cni/static RUN_FILES=$B/tests/rdma-resolve exec "$(dirname "$0")/run.sh" guest_rails.sh
