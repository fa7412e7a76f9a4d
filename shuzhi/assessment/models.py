"""Assessment models: indicator sets, scores, composites, grades and consequences."""
