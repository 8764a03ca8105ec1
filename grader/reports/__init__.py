"""What grading found, rendered for people and programs: reports, feedback, gradebooks, the class page."""
