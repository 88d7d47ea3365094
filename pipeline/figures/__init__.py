"""Every published figure: the metric registry, scopes and breakdowns, statistics, claims."""
