"""Coverage-guided fuzzing of camsweep's pure parsers (atheris), and the registry of targets the
property tests share. Run ``python -m fuzz --help``."""
