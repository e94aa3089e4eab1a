from referly.cli import main

main()
