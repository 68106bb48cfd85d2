import ElevateCommands

Entry.start()
