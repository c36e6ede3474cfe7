/// A condition that can say why it holds or not for a message, in words fit for logs and
/// `sealctl` explanations: anything it quotes from the message is redacted (a detector
/// shows the last four digits of a card number, not the number).
public protocol ExplainingCondition: Condition {
    /// Why the condition holds or not for `message`, matched text redacted.
    func explain(in message: MessageFacts) -> String
}
