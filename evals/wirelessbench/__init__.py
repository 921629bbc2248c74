"""WirelessBench's WCNS and WCMSA benchmarks: shipped data, faithful scorer, agent, runner."""
