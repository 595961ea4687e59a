"""Evaluation: question sets, relevance, metrics, results, runner, summaries, thresholds, comparison, report."""
