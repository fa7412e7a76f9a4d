"""年初安排部署 and 年中推动落实: the year's key tasks, responsibility lists and progress.

Parts (docs/decisions/0015-packages-not-prefixes.md): ``keytasks/`` (重点任务清单, derived down
the tree), ``progress/`` (晒进度 at the checkpoints, the host's matrix, the notice ladder) and
``duties/`` (责任清单, filed with the superior's organisation department).
"""
