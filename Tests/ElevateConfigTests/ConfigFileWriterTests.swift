import ElevateCore
import Foundation
import Testing

@testable import ElevateConfig

/// A fresh folder for one test, removed afterwards.
private final class Folder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "elevate-writer-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String, mode: Int = 0o644) throws -> String {
        let file = path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
        return file
    }

    func names(in sub: String = "") throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path + sub).sorted()
    }
}

private func contents(_ path: String) throws -> String {
    String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
}

private func mode(_ path: String) throws -> Int {
    try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! Int
}

private let stamp = "20261205T101530Z"

@Suite("Replacing the config file")
struct ConfigFileWriterTests {
    @Test("a missing file is created with mode 0600, and its missing folder (~/.aws) with 0700; no backup")
    func createsFileAndFolder() throws {
        let folder = try Folder()
        let path = folder.path + "/.aws/config"
        #expect(try ConfigFileWriter.readForEdit(path: path) == nil)
        let written = try ConfigFileWriter.replace(
            path: path, original: nil, with: Array("[default]\n".utf8), stamp: stamp)
        #expect(written == ConfigFileWriter.Written(path: path, backup: nil))
        #expect(try contents(path) == "[default]\n")
        #expect(try mode(path) == 0o600)
        #expect(try mode(folder.path + "/.aws") == 0o700)
        #expect(try folder.names(in: "/.aws") == ["config"])
    }

    @Test("an existing file keeps its mode; the backup holds the old bytes with mode 0600; no temporary file stays")
    func keepsModeAndBacksUp() throws {
        let folder = try Folder()
        let path = try folder.write("config", "[profile a]\r\nx = 1", mode: 0o640)
        let original = try ConfigFileWriter.readForEdit(path: path)
        let written = try ConfigFileWriter.replace(
            path: path, original: original, with: Array("new".utf8), stamp: stamp)
        #expect(written == ConfigFileWriter.Written(path: path, backup: path + ".bak-" + stamp))
        #expect(try contents(path) == "new")
        #expect(try mode(path) == 0o640)
        #expect(try contents(path + ".bak-" + stamp) == "[profile a]\r\nx = 1")
        #expect(try mode(path + ".bak-" + stamp) == 0o600)
        #expect(try folder.names() == ["config", "config.bak-" + stamp])
    }

    @Test("an earlier backup of the same second is never overwritten: the next one gets .1, then .2")
    func backupNamesAreNotReused() throws {
        let folder = try Folder()
        let path = try folder.write("config", "one")
        _ = try ConfigFileWriter.replace(path: path, original: Array("one".utf8), with: Array("two".utf8), stamp: stamp)
        let second = try ConfigFileWriter.replace(
            path: path, original: Array("two".utf8), with: Array("three".utf8), stamp: stamp)
        let third = try ConfigFileWriter.replace(
            path: path, original: Array("three".utf8), with: Array("four".utf8), stamp: stamp)
        #expect(second.backup == path + ".bak-" + stamp + ".1")
        #expect(third.backup == path + ".bak-" + stamp + ".2")
        #expect(try contents(path + ".bak-" + stamp) == "one")
        #expect(try contents(path + ".bak-" + stamp + ".1") == "two")
        #expect(try contents(path + ".bak-" + stamp + ".2") == "three")
    }

    @Test("a symbolic link is written through: the file it points to is replaced, the link stays")
    func writesThroughLinks() throws {
        let folder = try Folder()
        try FileManager.default.createDirectory(atPath: folder.path + "/dotfiles", withIntermediateDirectories: true)
        let target = try folder.write("dotfiles/config", "old", mode: 0o600)
        let link = folder.path + "/config"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "dotfiles/config")
        let original = try ConfigFileWriter.readForEdit(path: link)
        let written = try ConfigFileWriter.replace(
            path: link, original: original, with: Array("new".utf8), stamp: stamp)
        #expect(written.path == target)
        #expect(written.backup == target + ".bak-" + stamp)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "dotfiles/config")
        #expect(try contents(target) == "new")
        #expect(try contents(target + ".bak-" + stamp) == "old")
    }

    @Test("anything but a regular file is refused before reading: /dev/null, a folder, a link to nothing")
    func refusesOtherFiles() throws {
        let folder = try Folder()
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/dangling", withDestinationPath: "nowhere")
        for (path, reason) in [
            ("/dev/null", "it is not a regular file"), (folder.path, "it is not a regular file"),
            (folder.path + "/dangling", "it is a symbolic link to a missing file"),
        ] {
            #expect(throws: ConfigError.unwritable(path: path, reason: reason)) {
                try ConfigFileWriter.readForEdit(path: path)
            }
        }
    }

    @Test("a file that changed since it was read is left alone, and no backup or temporary file stays")
    func changedMeanwhile() throws {
        let folder = try Folder()
        let path = try folder.write("config", "changed by someone else")
        #expect(throws: ConfigError.changedWhileWriting(path: path)) {
            try ConfigFileWriter.replace(
                path: path, original: Array("as read".utf8), with: Array("new".utf8), stamp: stamp)
        }
        #expect(try contents(path) == "changed by someone else")
        #expect(try folder.names() == ["config"])
    }

    @Test("a file that appeared since it was found missing is left alone")
    func appearedMeanwhile() throws {
        let folder = try Folder()
        let path = try folder.write("config", "new elsewhere")
        #expect(throws: ConfigError.changedWhileWriting(path: path)) {
            try ConfigFileWriter.replace(path: path, original: nil, with: Array("mine".utf8), stamp: stamp)
        }
        #expect(try contents(path) == "new elsewhere")
        #expect(try folder.names() == ["config"])
    }

    @Test("a folder that cannot be created is one error naming it")
    func folderNotCreated() throws {
        let folder = try Folder()
        try folder.write("file", "")
        let path = folder.path + "/file/aws/config"
        let error = try #require(throws: ConfigError.self) {
            try ConfigFileWriter.replace(path: path, original: nil, with: Array("x".utf8), stamp: stamp)
        }
        guard case .unwritable(let named, let reason) = error else {
            Issue.record("expected .unwritable, got \(error)")
            return
        }
        #expect(named == path)
        #expect(reason.contains("cannot create the folder '\(folder.path)/file/aws'"))
    }
}
