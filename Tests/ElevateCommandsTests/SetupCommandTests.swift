import ArgumentParser
import ElevateConfig
import ElevateCore
import Foundation
import Testing

@testable import ElevateCommands

/// A fresh folder with an executable `real/aws-elevate`, removed afterwards.
private final class Install {
    let root: String
    var binary: String { root + "/real/aws-elevate" }

    init() throws {
        root = NSTemporaryDirectory() + "elevate-setup-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root + "/real", withIntermediateDirectories: true)
        try executable(at: binary)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func executable(at path: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: Data("#!/bin/sh\n".utf8))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    /// `root/NAME/aws-elevate` as a symbolic link to the binary.
    func link(in name: String) throws -> String {
        try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true)
        let path = root + "/" + name + "/aws-elevate"
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: binary)
        return path
    }
}

@Suite("setup")
struct SetupCommandTests {
    @Test("setup takes --chain, --profile and --force")
    func parsing() throws {
        let command = try #require(
            try AWSElevate.parseAsRoot(["setup", "--chain", "admin-chain", "--profile", "admin"]) as? SetupCommand)
        #expect(command.chain == "admin-chain" && command.profile == "admin" && !command.force)
        let forced = try #require(
            try AWSElevate.parseAsRoot(["setup", "--chain", "c", "--profile", "p", "--force"]) as? SetupCommand)
        #expect(forced.force)
        #expect(throws: (any Error).self) { try AWSElevate.parseAsRoot(["setup", "--chain", "c"]) }
        #expect(throws: (any Error).self) { try AWSElevate.parseAsRoot(["setup", "--profile", "p"]) }
    }

    @Test(
        "usage errors: an empty name, the same name twice, a name that cannot be written",
        arguments: [
            (["--chain", "", "--profile", "p"], "--chain must not be empty"),
            (["--chain", "c", "--profile", ""], "--profile must not be empty"),
            (["--chain", "admin", "--profile", "admin"], "--profile must differ from --chain"),
            (
                ["--chain", "c", "--profile", "a b"],
                "--profile 'a b' cannot be written as a profile name: it holds white space"
            ),
            (["--chain", "c", "--profile", "a\nb"], "--profile 'a?b' cannot be written as a profile name"),
        ])
    func usageErrors(arguments: [String], message: String) throws {
        do {
            _ = try AWSElevate.parseAsRoot(["setup"] + arguments)
            Issue.record("\(arguments) parsed")
        } catch {
            #expect(AWSElevate.exitCode(for: error) == ExitCode(64))
            #expect(AWSElevate.message(for: error).contains(message), "\(AWSElevate.message(for: error))")
        }
    }

    @Test("a chain name whose bytes differ is another profile, even when Swift's == calls them equal")
    func canonicallyEquivalentNames() throws {
        #expect(throws: Never.self) {
            try AWSElevate.parseAsRoot(["setup", "--chain", "\u{e9}", "--profile", "e\u{301}"])
        }
    }

    @Test("the binary is named by the first aws-elevate of PATH when that is the same file")
    func pathEntry() throws {
        let install = try Install()
        let linked = try install.link(in: "bin")
        let environment = ["PATH": "/nonexistent:relative/bin:\(install.root)/bin/:/usr/bin"]
        #expect(SetupCommand.installedProgram(environment: environment, executable: install.binary) == linked)
    }

    @Test("another aws-elevate first on PATH, or none at all: the binary's own path")
    func ownPath() throws {
        let install = try Install()
        try FileManager.default.createDirectory(atPath: install.root + "/other", withIntermediateDirectories: true)
        try install.executable(at: install.root + "/other/aws-elevate")
        _ = try install.link(in: "bin")
        let shadowed = ["PATH": "\(install.root)/other:\(install.root)/bin"]
        #expect(SetupCommand.installedProgram(environment: shadowed, executable: install.binary) == install.binary)
        #expect(
            SetupCommand.installedProgram(environment: ["PATH": "/usr/bin"], executable: install.binary)
                == install.binary)
        #expect(SetupCommand.installedProgram(environment: [:], executable: install.binary) == install.binary)
        #expect(SetupCommand.installedProgram(environment: [:], executable: install.root + "/missing") == nil)
    }

    @Test("the running binary is found, as an absolute path")
    func executablePath() throws {
        let path = try #require(SetupCommand.executablePath())
        #expect(path.hasPrefix("/"))
        #expect(FileManager.default.isExecutableFile(atPath: path))
    }

    @Test("backups are stamped with the UTC time, without characters that need quoting")
    func stamp() {
        #expect(SetupCommand.stamp(Date(timeIntervalSince1970: 1_796_465_730)) == "20261205T101530Z")
    }
}
