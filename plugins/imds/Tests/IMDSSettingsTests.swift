import ElevateCore
import IMDSSource
import Testing

@Suite("imds settings from the environment and the profile")
struct IMDSSettingsTests {
    private func settings(
        _ environment: [String: String] = [:], _ values: [String: String] = [:]
    ) throws(IMDSSourceError) -> IMDSSettings {
        try IMDSSettings(environment: environment, profile: instanceProfile(values))
    }

    private func invalid(_ environment: [String: String] = [:], _ values: [String: String] = [:]) -> IMDSSourceError? {
        do {
            let result = try settings(environment, values)
            Issue.record("expected a configuration error, got \(result)")
            return nil
        } catch {
            #expect(error.category == .configuration)
            return error
        }
    }

    @Test("defaults: IPv4 link-local endpoint, 1 s, 1 attempt, IMDSv2 only")
    func defaults() throws {
        #expect(try settings() == IMDSSettings(
            endpoint: "http://169.254.169.254", timeoutSeconds: 1, attempts: 1, v1Fallback: .notAllowed))
    }

    @Test("endpoint mode IPv6 selects http://[fd00:ec2::254], from the environment or the profile, in any case")
    func ipv6Mode() throws {
        #expect(try settings(["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"]).endpoint == "http://[fd00:ec2::254]")
        #expect(try settings([:], ["ec2_metadata_service_endpoint_mode": "ipv6"]).endpoint == "http://[fd00:ec2::254]")
        #expect(try settings(["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv4"]).endpoint == "http://169.254.169.254")
    }

    @Test("the environment's mode wins over the profile's")
    func modePrecedence() throws {
        let result = try settings(
            ["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv4"], ["ec2_metadata_service_endpoint_mode": "IPv6"])
        #expect(result.endpoint == "http://169.254.169.254")
    }

    @Test("an explicit endpoint wins over the mode, wherever each is set; trailing slashes are dropped")
    func explicitEndpoint() throws {
        #expect(try settings([
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:8080/",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6",
        ]).endpoint == "http://127.0.0.1:8080")
        #expect(try settings(
            ["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"],
            ["ec2_metadata_service_endpoint": "http://[::1]:9000"]
        ).endpoint == "http://[::1]:9000")
        #expect(try settings(
            ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "HTTPS://imds.example:443"],
            ["ec2_metadata_service_endpoint": "http://127.0.0.2"]
        ).endpoint == "https://imds.example:443")
    }

    @Test("timeout and attempts from the environment, else the profile; fractional timeouts are fine")
    func timeoutAndAttempts() throws {
        let fromEnvironment = try settings(
            ["AWS_METADATA_SERVICE_TIMEOUT": "0.5", "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "3"],
            ["metadata_service_timeout": "7", "metadata_service_num_attempts": "9"])
        #expect(fromEnvironment.timeoutSeconds == 0.5)
        #expect(fromEnvironment.attempts == 3)
        let fromProfile = try settings([:], ["metadata_service_timeout": "7", "metadata_service_num_attempts": "9"])
        #expect(fromProfile.timeoutSeconds == 7)
        #expect(fromProfile.attempts == 9)
    }

    @Test("an empty environment variable counts as unset")
    func emptyIsUnset() throws {
        let result = try settings(
            ["AWS_METADATA_SERVICE_TIMEOUT": "", "AWS_EC2_METADATA_DISABLED": "", "AWS_ELEVATE_IMDS_V1": ""],
            ["metadata_service_timeout": "4"])
        #expect(result.timeoutSeconds == 4)
        #expect(result.v1Fallback == .notAllowed)
    }

    @Test(
        "an endpoint that is not an http(s) URL is quoted in a configuration error",
        arguments: [
            "169.254.169.254", "ftp://169.254.169.254", "http://", "http:///latest", "http://user:pw@host",
            "http://host:0", "http://host:99999", "http://host:80:81", "http://host/?q", "http://host#frag",
            "http://[fd00:ec2::254", "http://[zz::1]", "http://ho st", "http://ho\tst",
        ]
    )
    func badEndpoint(value: String) {
        let error = invalid(["AWS_EC2_METADATA_SERVICE_ENDPOINT": value])
        guard case .invalidSetting(let name, let quoted, _)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(name == "AWS_EC2_METADATA_SERVICE_ENDPOINT")
        // The value is kept as given, trimmed of surrounding white space.
        #expect(quoted == value.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(error?.problem.contains("http://") == true)
    }

    @Test("an unknown endpoint mode is quoted")
    func badMode() {
        #expect(invalid(["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv5"]) == .invalidSetting(
            name: "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", value: "IPv5", expected: "IPv4 or IPv6"))
    }

    @Test(
        "a timeout that is not a positive number of seconds up to an hour is rejected",
        arguments: ["abc", "0", "0.0", "-1", "1e3", "inf", "nan", "3601", "1.2.3", ".", "0x10", "１"]
    )
    func badTimeout(value: String) {
        let error = invalid(["AWS_METADATA_SERVICE_TIMEOUT": value])
        guard case .invalidSetting("AWS_METADATA_SERVICE_TIMEOUT", value, _)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(error?.problem.contains("'\(value)'") == true)
    }

    @Test(
        "attempts must be a whole number from 1 to 100",
        arguments: ["0", "1.5", "abc", "-2", "101", "99999999999999999999999", "+3"]
    )
    func badAttempts(value: String) {
        #expect(invalid([:], ["metadata_service_num_attempts": value]) == .invalidSetting(
            name: "metadata_service_num_attempts in profile 'inst'", value: value,
            expected: "a whole number from 1 to 100"))
    }

    @Test("AWS_EC2_METADATA_DISABLED=true (any case) is an error saying so; false is fine; anything else is invalid")
    func disabled() throws {
        #expect(invalid(["AWS_EC2_METADATA_DISABLED": "TRUE"]) == .disabled(by: "AWS_EC2_METADATA_DISABLED"))
        #expect(try settings(["AWS_EC2_METADATA_DISABLED": "false"]).endpoint == IMDSSettings.ipv4Endpoint)
        #expect(invalid(["AWS_EC2_METADATA_DISABLED": "yes"]) == .invalidSetting(
            name: "AWS_EC2_METADATA_DISABLED", value: "yes", expected: "true or false"))
    }

    @Test("disabling IMDS wins over every other setting, even invalid ones")
    func disabledFirst() {
        #expect(invalid(["AWS_EC2_METADATA_DISABLED": "true", "AWS_METADATA_SERVICE_TIMEOUT": "x"])
            == .disabled(by: "AWS_EC2_METADATA_DISABLED"))
    }

    @Test("the IMDSv1 opt-in comes from the environment or the profile; the environment wins")
    func v1OptIn() throws {
        #expect(try settings(["AWS_ELEVATE_IMDS_V1": "allow"]).v1Fallback == .allowed(by: "AWS_ELEVATE_IMDS_V1"))
        #expect(try settings([:], ["elevate_imds_v1": "Allow"]).v1Fallback
            == .allowed(by: "elevate_imds_v1 in profile 'inst'"))
        #expect(try settings(["AWS_ELEVATE_IMDS_V1": "deny"], ["elevate_imds_v1": "allow"]).v1Fallback == .notAllowed)
        #expect(invalid(["AWS_ELEVATE_IMDS_V1": "yes"]) == .invalidSetting(
            name: "AWS_ELEVATE_IMDS_V1", value: "yes", expected: "allow or deny"))
    }

    @Test("V1_DISABLED=true beats the opt-in; false leaves it alone; a non-boolean is invalid")
    func v1Disabled() throws {
        #expect(try settings(["AWS_EC2_METADATA_V1_DISABLED": "true", "AWS_ELEVATE_IMDS_V1": "allow"]).v1Fallback
            == .disabled(by: "AWS_EC2_METADATA_V1_DISABLED"))
        #expect(try settings([:], ["ec2_metadata_v1_disabled": "true", "elevate_imds_v1": "allow"]).v1Fallback
            == .disabled(by: "ec2_metadata_v1_disabled in profile 'inst'"))
        #expect(try settings(["AWS_EC2_METADATA_V1_DISABLED": "false", "AWS_ELEVATE_IMDS_V1": "allow"]).v1Fallback
            == .allowed(by: "AWS_ELEVATE_IMDS_V1"))
        #expect(invalid(["AWS_EC2_METADATA_V1_DISABLED": "1"]) == .invalidSetting(
            name: "AWS_EC2_METADATA_V1_DISABLED", value: "1", expected: "true or false"))
    }

    @Test("a setting written as a sub-section is an error naming the profile key")
    func subSection() {
        let profile = Profile(
            name: "inst", values: ["credential_source": "Ec2InstanceMetadata"],
            sections: ["metadata_service_timeout": ["x": "1"]])
        #expect(throws: IMDSSourceError.invalidSetting(
            name: "metadata_service_timeout in profile 'inst'", value: "", expected: "a plain value, not a sub-section")
        ) {
            try IMDSSettings(environment: [:], profile: profile)
        }
    }
}
