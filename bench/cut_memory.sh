#!/usr/bin/env bash
# Hub memory with many cut sessions under broadcast: the end-to-end test
# tests/e2e/test_cut_memory.sh, printing its figures without judging them.
# N (200), FRAMES (20000), QUEUE_MIB (64; empty: no limit) as there.
QUEUE_MIB=${QUEUE_MIB-64} FIGURES_ONLY=1 \
  exec bash "$(dirname "$0")/../tests/e2e/test_cut_memory.sh"
