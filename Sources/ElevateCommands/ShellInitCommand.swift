import ArgumentParser
import ElevateCore
import ShellFunctions

/// `aws-elevate shell-init bash|zsh`: the text of shell/aws-elevate.sh, for `eval` in ~/.bashrc or ~/.zshrc.
struct ShellInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell-init",
        abstract: "Print the shell functions elevate and unelevate (shell/aws-elevate.sh) for bash or zsh.",
        discussion: """
            Add to ~/.bashrc: eval "$(aws-elevate shell-init bash)"; to ~/.zshrc: eval "$(aws-elevate shell-init zsh)". \
            The text is the same for both shells.
            """
    )

    @Argument(help: "bash or zsh.")
    var shell: String

    func validate() throws {
        guard ShellExport.Shell(rawValue: shell) != nil else {
            throw ValidationError("'\(shell)' is not a supported shell; use bash or zsh")
        }
    }

    func run() throws {
        writeAll(fd: 1, ShellFunctionsText.bytes)
    }
}
