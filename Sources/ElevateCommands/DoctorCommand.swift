import ArgumentParser

/// `aws-elevate doctor`: checks the setup and prints a table with a remedy on every failing line.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the config files, every profile, the session cache, the keyring, IMDS and the shell hook.",
        discussion: """
            Prints one line per check: ok, warn (works, but not as well as it could), FAIL or skip, and for warn \
            and FAIL what to do. Makes no change and prompts for nothing; the keyring and the instance metadata \
            service are each given about a second. Exit status 0 when no check failed, 1 otherwise.
            """
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let context = DoctorContext(pipeline: Pipeline.forCommand(debug: global.debug, mayPrompt: false))
        let rows = Doctor.rows(context)
        Output.write(Doctor.render(rows))
        if rows.contains(where: { $0.status == .fail }) { throw ExitCode(1) }
    }
}
