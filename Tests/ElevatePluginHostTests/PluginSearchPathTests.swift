#if canImport(Glibc)
import Glibc
#endif
import ElevateCore
import Testing

@testable import ElevatePluginHost

@Suite("Process plugin folders")
struct PluginSearchPathTests {
    @Test(
        "AWS_ELEVATE_PLUGIN_PATH's absolute folders come first, then XDG_DATA_HOME's plugin folder; relative and empty entries are passed over"
    )
    func folders() {
        let path = PluginSearchPath(environment: [
            "AWS_ELEVATE_PLUGIN_PATH": "/opt/a::relative:./here:/opt/b/:/opt/a", "XDG_DATA_HOME": "/data",
            "HOME": "/home/me",
        ])
        #expect(path.folders == ["/opt/a", "/opt/b", "/data/aws-elevate/plugins"])
    }

    @Test("without XDG_DATA_HOME (or with a relative one) the data folder is under HOME")
    func defaultDataFolder() {
        #expect(
            PluginSearchPath(environment: ["HOME": "/home/me"]).folders == ["/home/me/.local/share/aws-elevate/plugins"]
        )
        #expect(
            PluginSearchPath(environment: ["HOME": "/home/me", "XDG_DATA_HOME": "data"]).folders
                == ["/home/me/.local/share/aws-elevate/plugins"])
        #expect(PluginSearchPath(environment: [:]).folders.isEmpty)
    }

    @Test("the first folder holding an executable of the name wins")
    func firstWins() {
        let first = Folder()
        let second = Folder()
        second.write("aws-elevate-plugin-vault", "#!/bin/sh\n")
        let search = PluginSearchPath(folders: [first.path, second.path])
        #expect(search.find("vault") == .executable(path: second.path + "/aws-elevate-plugin-vault"))
        first.write("aws-elevate-plugin-vault", "#!/bin/sh\n")
        #expect(search.find("vault") == .executable(path: first.path + "/aws-elevate-plugin-vault"))
    }

    @Test(
        "a file that is not executable, is a folder, or that every user may write is passed over and named when nothing else is found"
    )
    func unusable() {
        let folder = Folder()
        let plain = folder.write("aws-elevate-plugin-plain", "#!/bin/sh\n", mode: 0o644)
        let open = folder.write("aws-elevate-plugin-open", "#!/bin/sh\n", mode: 0o757)
        folder.write("aws-elevate-plugin-dir/x", "")
        let search = PluginSearchPath(folders: [folder.path])
        #expect(search.find("plain") == .missing(unusable: (plain, "it is not executable")))
        #expect(search.find("open") == .missing(unusable: (open, "every user may write it")))
        #expect(
            search.find("dir")
                == .missing(unusable: (folder.path + "/aws-elevate-plugin-dir", "it is not a regular file")))
        let later = Folder()
        let good = later.write("aws-elevate-plugin-plain", "#!/bin/sh\n")
        #expect(PluginSearchPath(folders: [folder.path, later.path]).find("plain") == .executable(path: good))
    }

    @Test("a file owned by another user than this one or root is refused")
    func foreignOwner() throws {
        let folder = Folder()
        let path = folder.write("aws-elevate-plugin-planted", "#!/bin/sh\n")
        // As root, the file is given away; otherwise this user is taken for another one.
        let user: uid_t
        if getuid() == 0 {
            #expect(chown(path, 65534, 65534) == 0)
            user = 0
        } else {
            user = getuid() + 1
        }
        let reason = try #require(PluginSearchPath.check(path, user: user) ?? nil)
        #expect(reason.hasPrefix("it belongs to another user (uid "))
        #expect(PluginSearchPath.check(path, user: getuid() == 0 ? 65534 : getuid()) == .some(nil))
    }

    @Test(
        "a name that is not a plugin name is never looked up",
        arguments: ["../x", "a/b", "", "-x", "Vault", "a b", String(repeating: "a", count: 65)])
    func invalidNames(name: String) {
        let folder = Folder()
        folder.write("aws-elevate-plugin-" + name.replacing("/", with: "_"), "#!/bin/sh\n")
        #expect(!isPluginName(name))
        #expect(PluginSearchPath(folders: [folder.path]).find(name) == .missing(unusable: nil))
    }

    @Test("the listing marks plugins shadowed by a built-in name or an earlier folder, and those that cannot run")
    func shadowed() {
        let first = Folder()
        let second = Folder()
        let vault = first.write("aws-elevate-plugin-vault", "#!/bin/sh\n")
        let later = second.write("aws-elevate-plugin-vault", "#!/bin/sh\n")
        let imds = second.write("aws-elevate-plugin-imds", "#!/bin/sh\n")
        second.write("aws-elevate-plugin-broken", "#!/bin/sh\n", mode: 0o600)
        second.write("not-a-plugin", "#!/bin/sh\n")
        let search = PluginSearchPath(folders: [first.path, second.path])
        let installed = search.installed()
        #expect(installed.map(\.name) == ["vault", "broken", "imds", "vault"])
        #expect(installed.last?.shadowedBy == vault)
        #expect(installed[1].problem == "it is not executable")
        let shadowed = search.shadowed(builtinNames: ["imds", "assume-role"])
        #expect(
            shadowed == [
                ShadowedPlugin(name: "imds", path: imds, shadowedBy: "built-in plugin 'imds'"),
                ShadowedPlugin(name: "vault", path: later, shadowedBy: vault),
            ])
    }
}
