#!/bin/bash
# test_exclusive.sh - RDMA on a real kernel in exclusive netns mode (see guest_exclusive.sh).
exec "$(dirname "$0")/run.sh" guest_exclusive.sh
