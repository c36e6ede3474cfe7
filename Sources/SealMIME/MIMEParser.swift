// placeholder; the streaming parser lands here
public enum SealMIMEVersion { public static let string = "0.1.0" }
