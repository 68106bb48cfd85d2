import ArgumentParser

/// `aws-elevate completion bash|zsh`: the completion script of the `aws-elevate` command itself.
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print the completion script of aws-elevate for bash or zsh.",
        discussion: "shell-init sets it up; by hand: eval \"$(aws-elevate completion bash)\""
    )

    @Argument(help: "bash or zsh.")
    var shell: String

    func validate() throws {
        guard Self.shell(named: shell) != nil else {
            throw ValidationError("'\(shell)' is not a supported shell; use bash or zsh")
        }
    }

    func run() throws {
        guard let kind = Self.shell(named: shell) else { throw ExitCode.validationFailure }
        Output.write(AWSElevate.completionScript(for: kind))
    }

    static func shell(named name: String) -> CompletionShell? {
        switch name {
        case "bash": .bash
        case "zsh": .zsh
        default: nil
        }
    }
}
