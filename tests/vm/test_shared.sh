#!/bin/bash
# test_shared.sh - RDMA on a real kernel in shared netns mode (see guest_shared.sh).
exec "$(dirname "$0")/run.sh" guest_shared.sh
