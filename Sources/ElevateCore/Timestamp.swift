#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// RFC 3339 timestamps as AWS writes and reads them.
public enum Timestamp {
    /// Formats `date` as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds), which every AWS SDK parses.
    ///
    /// The C library's `gmtime_r` does the calendar arithmetic: every `credential-process` run formats one expiry,
    /// and Foundation's format style costs ~0.3 ms of set-up (calendar, time zone files) on each.
    public static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil, (0...9999).contains(Int(parts.tm_year) + 1900) else {
            return date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
        }
        func digits(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.utf8.count)) + text
        }
        return digits(parts.tm_year + 1900, 4) + "-" + digits(parts.tm_mon + 1, 2) + "-" + digits(parts.tm_mday, 2)
            + "T" + digits(parts.tm_hour, 2) + ":" + digits(parts.tm_min, 2) + ":" + digits(parts.tm_sec, 2) + "Z"
    }

    /// Parses an RFC 3339 timestamp with or without fractional seconds, in UTC or with an offset.
    public static func parse(_ text: String) -> Date? {
        let trimmed = trimmingWhitespace(text)
        if let date = try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(trimmed) {
            return date
        }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).parse(trimmed)
    }
}
