"""`python -m compiler` is the `ferry` command."""

from compiler.cli import main

main()
