import ElevateCore

/// A time limit in whole seconds, read from one setting of a profile (`elevate_process_timeout`,
/// `elevate_plugin_timeout`): the same rules wherever a profile bounds a program's run.
package enum TimeLimitSetting {
    /// The setting holds something other than whole seconds in range; `value` is what it holds (empty for a
    /// sub-section), `expected` says what it takes.
    package struct Invalid: Error, Equatable {
        package var value: String
        package var expected: String
    }

    /// `key` of `profile`: whole seconds from 1 to `maximum`, `defaultSeconds` when it is unset or blank.
    package static func seconds(in profile: Profile, key: String, defaultSeconds: Int, maximum: Int)
        throws(Invalid) -> Int
    {
        if profile.sections[key] != nil {
            throw Invalid(value: "", expected: "a plain value, not a sub-section")
        }
        guard let text = profile[key].map(trimmingWhitespace), !text.isEmpty else { return defaultSeconds }
        guard text.utf8.count <= 5, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let seconds = Int(text),
            (1...maximum).contains(seconds)
        else {
            throw Invalid(value: text, expected: "whole seconds from 1 to \(maximum)")
        }
        return seconds
    }
}
