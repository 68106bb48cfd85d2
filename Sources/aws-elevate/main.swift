import ElevateCommands

await Entry.main()
