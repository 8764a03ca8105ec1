"""`python -m grader ...`: the `grade` command, where its script is not on PATH (a notebook's kernel)."""
from grader.cli import run

if __name__ == "__main__":
    run()
