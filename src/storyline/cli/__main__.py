"""`python -m storyline.cli …`: the same CLI as the `storyline` script (how `demo --bus kafka` starts workers)."""

from storyline.cli import main

main()
