import ArgumentParser
import SealEngine
import SealPolicy
import SealConnect

/// `sealctl postfix …`: Postfix configuration written from the policy.
struct PostfixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postfix",
        abstract: "Write Postfix configuration from the policy.",
        subcommands: [PostfixTLSPolicy.self])
}

/// `sealctl postfix tls-policy [--policy FILE]`: the `smtp_tls_policy_maps` table
/// of the policy's connectors on standard output.
struct PostfixTLSPolicy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls-policy",
        abstract: "Print a Postfix smtp_tls_policy_maps table (for postmap) from the policy's connectors.",
        discussion: """
            One line per partner domain of every connector that applies outbound: \
            encrypt, verify or secure (with match= the certificate names), dane or dane-only, \
            with protocols=, ciphers= and exclude= from min_tls_version, min_cipher_bits and \
            forward_secrecy. mta-sts is not a Postfix level: the table notes it and, with \
            require_tls, gives encrypt as the floor behind an MTA-STS socketmap. Install with:
              sealctl postfix tls-policy > /etc/postfix/sealmilter-tls-policy
              postmap /etc/postfix/sealmilter-tls-policy
              postconf -e 'smtp_tls_policy_maps = hash:/etc/postfix/sealmilter-tls-policy'
            Exit status: 0 written, 1 the policy is invalid or has no connectors: section, 2 usage error.
            """)

    @Option(help: "The policy file.") var policy: String = "/etc/sealmilter/sealmilter.yaml"

    func run() throws {
        let p: Policy
        do { p = try Policy.load(path: policy, registry: Sealctl.registry) } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        guard let connectors = p.settings.features[ConnectorSettings.self] else {
            printError("sealctl: \(policy) has no connectors: section (or this build does not know it)")
            throw ExitCode(1)
        }
        print(TLSPolicyTable(connectors).render(source: policy), terminator: "")
    }
}
