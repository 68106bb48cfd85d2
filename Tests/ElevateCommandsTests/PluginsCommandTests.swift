#if canImport(Glibc)
import Glibc
#endif
import ElevateCore
import ElevatePluginHost
import Testing

@testable import ElevateCommands

/// `aws-elevate plugins` and the shadowed-plugin report `doctor` uses, over real plugin folders.
@Suite("aws-elevate plugins")
struct PluginsCommandTests {
    /// Two plugin folders with `vault` in both, `env` (a built-in's name) in the first and `plain` not executable.
    final class Folders {
        let root: String
        var first: String { root + "/a" }
        var second: String { root + "/b" }
        var created: [String] = []

        init() {
            var template = Array("/tmp/elevate-plugins-cmd.XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            precondition(made != nil)
            root = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            mkdir(first, 0o755)
            mkdir(second, 0o755)
            install(first, "vault", 0o755)
            install(first, "env", 0o755)
            install(second, "vault", 0o755)
            install(second, "plain", 0o644)
        }

        func install(_ folder: String, _ name: String, _ mode: mode_t) {
            let path = folder + "/aws-elevate-plugin-" + name
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
            precondition(fd >= 0)
            _ = Array("#!/bin/sh\n".utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            chmod(path, mode)
            created.append(path)
        }

        deinit {
            for path in created { unlink(path) }
            rmdir(first)
            rmdir(second)
            rmdir(root)
        }
    }

    @Test("doctor's report names each process plugin that a built-in or an earlier folder shadows")
    func shadowed() {
        let folders = Folders()
        let environment = ["AWS_ELEVATE_PLUGIN_PATH": "\(folders.first):\(folders.second)", "HOME": "/nonexistent"]
        #expect(
            BuiltinPlugins.shadowedProcessPlugins(environment: environment) == [
                ShadowedPlugin(
                    name: "env", path: folders.first + "/aws-elevate-plugin-env", shadowedBy: "built-in plugin 'env'"),
                ShadowedPlugin(
                    name: "vault", path: folders.second + "/aws-elevate-plugin-vault",
                    shadowedBy: folders.first + "/aws-elevate-plugin-vault"),
            ])
    }

    @Test("the listing shows built-ins, then each process plugin with its path and what shadows it")
    func listing() {
        let folders = Folders()
        let text = PluginsCommand.listing(
            registry: BuiltinPlugins.registry(), searchPath: PluginSearchPath(folders: [folders.first, folders.second]))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try? #require(lines.firstIndex(of: "process plugins (elevate_source / elevate_plugin = NAME):"))
        #expect(lines.first == "source plugins:")
        #expect(lines.contains { $0.hasPrefix("  assume-role ") })
        let a = folders.first + "/aws-elevate-plugin-"
        let b = folders.second + "/aws-elevate-plugin-"
        let expected: [String] = [
            "  env  " + a + "env  (shadowed by the built-in plugin 'env')",
            "  vault  " + a + "vault",
            "  plain  " + b + "plain  (cannot be run: it is not executable)",
            "  vault  " + b + "vault  (shadowed by " + a + "vault)",
            "",
        ]
        let listed: [String] = Array(lines[((start ?? 0) + 1)...])
        #expect(listed == expected)
    }

    @Test("without any plugin the listing says where it looked")
    func none() {
        let text = PluginsCommand.listing(
            registry: BuiltinPlugins.registry(), searchPath: PluginSearchPath(folders: ["/nonexistent/plugins"]))
        #expect(
            text.hasSuffix(
                "process plugins (elevate_source / elevate_plugin = NAME):\n  (none in /nonexistent/plugins)\n"))
    }
}
