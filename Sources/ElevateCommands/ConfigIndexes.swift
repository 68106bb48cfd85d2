import ElevateCache
import ElevateConfig
import ElevateCore

extension ConfigIndexFiles: ConfigIndexStore {
    /// The records of large config files' indexes for a run in `environment`: in the cache directory, unless
    /// `AWS_ELEVATE_CACHE=none` asks that nothing be written, or no cache directory is known.
    static func forRun(environment: [String: String]) -> ConfigIndexFiles? {
        guard let settings = try? CacheSettings(environment: environment, profile: nil), settings.mode != .none,
            let directory = settings.directory
        else { return nil }
        return ConfigIndexFiles(directory: directory)
    }
}
