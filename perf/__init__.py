"""The performance experiment of issue 19 (docs/performance.md): workload, runners, report."""
