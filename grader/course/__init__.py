"""The course folder and what instructors run on it: settings, the handout, batches, shards, hand-back sources."""
