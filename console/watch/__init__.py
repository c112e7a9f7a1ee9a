"""``labconsole watch``: the console's pipeline headless, recording and alerting.

``tracker`` turns the console's incidents (the same correlation and cause the console and the
report use) into start / cause change / end alerts; ``runner`` runs the pipeline with a
rotating recorder and hands alerts to the dispatcher. No Textual, no rich (import-linter).
"""
