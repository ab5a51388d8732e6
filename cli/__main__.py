"""`python -m cli` runs the forge-warehouse command line."""

from cli.app import main

main()
