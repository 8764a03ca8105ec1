"""The grading engine: a submission read, run case by case in children, judged against the reference."""
