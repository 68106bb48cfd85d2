/// The text of aws-elevate.sh, compiled into the binary (SwiftPM `embedInCode`), so that `aws-elevate shell-init`
/// needs no file at run time.
public enum ShellFunctionsText {
    /// The file's bytes, exactly.
    public static var bytes: [UInt8] { PackageResources.aws_elevate_sh }
}
