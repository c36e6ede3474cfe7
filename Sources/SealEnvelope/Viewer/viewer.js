/* Sealmilter envelope viewer (format: docs/envelope-format.md; behaviour: docs/envelope-viewer.md).
 * Plain JavaScript, no libraries, runs offline from a file. Crypto only through WebCrypto.
 * This file must stay pure ASCII: texts in other languages are \u escapes. */
(function () {
  'use strict';

  /* ---------- texts ---------- */
  var TEXTS = {
    en: {
      title: 'Secure message',
      noCryptoTitle: 'This program cannot open the message',
      noCrypto: 'This browser or mail preview cannot decrypt the message (Web Crypto is missing). Save the file message.html on your computer and open it in Chrome, Firefox, Edge or Safari.',
      unlockTitle: 'Enter your passcode',
      unlockText: 'Enter the passcode you received to open this message.',
      who: 'I am',
      tryAll: 'one of these addresses (try all, slower)',
      hint: 'Hint from the sender:',
      passcode: 'Passcode',
      open: 'Open',
      showPass: 'Show passcode',
      checking: 'Checking the passcode...',
      decrypting: 'Decrypting the message...',
      wrongPasscode: 'The passcode is not correct. Check it and try again.',
      emptyPasscode: 'Please enter the passcode.',
      expired: 'This message expired on {date} and can no longer be opened. Ask the sender to send it again.',
      expiresOn: 'This message can be opened until {date}.',
      damaged: 'This file is damaged or incomplete and cannot be opened. Ask the sender to send it again.',
      newer: 'This message was made by a newer Sealmilter; this viewer cannot open it. Ask the sender for a new copy.',
      from: 'From', to: 'To', cc: 'Cc', date: 'Date', subject: 'Subject', noSubject: '(no subject)',
      attachments: 'Attachments',
      save: 'Save',
      showHtml: 'Formatted',
      showText: 'Plain text',
      print: 'Print',
      reply: 'Reply securely',
      remoteBlocked: 'Remote content in this message is blocked.',
      rights: 'The sender restricted this message:',
      rNoPrint: 'no printing', rNoCopy: 'no copying', rNoForward: 'no forwarding', rWatermark: 'marked with your address',
      printBlocked: 'Printing this message is not allowed.',
      replyTitle: 'Secure reply to {to}',
      replyText: 'Your reply',
      replyAttach: 'Attach files',
      replyAll: 'Also to the other recipients',
      replyQuote: 'Include the original text',
      replyMake: 'Encrypt reply',
      replyWorking: 'Encrypting...',
      replyEmpty: 'Write a reply or attach a file first.',
      replySmall: 'Your reply is encrypted. Click the link to open it in your mail program, then send the message.',
      replyLink: 'Open in my mail program',
      replyLarge: 'Your reply is encrypted. Save the file secure-reply.txt, attach it to an email to {to} and send it.',
      replySave: 'Save secure-reply.txt',
      replyBlock: 'The encrypted reply (you can also paste it into an email to {to}):',
      replyNote: 'This is an encrypted reply. Only the sender\'s organisation can read it.',
      cancel: 'Cancel',
      foot: 'Decrypted in this browser; nothing is sent anywhere.'
    },
    'zh-CN': {
      title: '\u52a0\u5bc6\u90ae\u4ef6',
      noCryptoTitle: '\u6b64\u7a0b\u5e8f\u65e0\u6cd5\u6253\u5f00\u8be5\u90ae\u4ef6',
      noCrypto: '\u6b64\u6d4f\u89c8\u5668\u6216\u90ae\u4ef6\u9884\u89c8\u65e0\u6cd5\u89e3\u5bc6\u8be5\u90ae\u4ef6\uff08\u7f3a\u5c11 Web Crypto\uff09\u3002\u8bf7\u5c06\u6587\u4ef6 message.html \u4fdd\u5b58\u5230\u7535\u8111\uff0c\u7136\u540e\u7528 Chrome\u3001Firefox\u3001Edge \u6216 Safari \u6253\u5f00\u3002',
      unlockTitle: '\u8f93\u5165\u60a8\u7684\u5bc6\u7801',
      unlockText: '\u8bf7\u8f93\u5165\u60a8\u6536\u5230\u7684\u5bc6\u7801\u4ee5\u6253\u5f00\u6b64\u90ae\u4ef6\u3002',
      who: '\u6211\u662f',
      tryAll: '\u4ee5\u4e0a\u5730\u5740\u4e4b\u4e00\uff08\u9010\u4e2a\u5c1d\u8bd5\uff0c\u8f83\u6162\uff09',
      hint: '\u53d1\u4ef6\u4eba\u7684\u63d0\u793a\uff1a',
      passcode: '\u5bc6\u7801',
      open: '\u6253\u5f00',
      showPass: '\u663e\u793a\u5bc6\u7801',
      checking: '\u6b63\u5728\u9a8c\u8bc1\u5bc6\u7801\u2026\u2026',
      decrypting: '\u6b63\u5728\u89e3\u5bc6\u90ae\u4ef6\u2026\u2026',
      wrongPasscode: '\u5bc6\u7801\u4e0d\u6b63\u786e\u3002\u8bf7\u68c0\u67e5\u540e\u91cd\u8bd5\u3002',
      emptyPasscode: '\u8bf7\u8f93\u5165\u5bc6\u7801\u3002',
      expired: '\u6b64\u90ae\u4ef6\u5df2\u4e8e {date} \u8fc7\u671f\uff0c\u65e0\u6cd5\u518d\u6253\u5f00\u3002\u8bf7\u8054\u7cfb\u53d1\u4ef6\u4eba\u91cd\u65b0\u53d1\u9001\u3002',
      expiresOn: '\u6b64\u90ae\u4ef6\u53ef\u6253\u5f00\u81f3 {date}\u3002',
      damaged: '\u6b64\u6587\u4ef6\u5df2\u635f\u574f\u6216\u4e0d\u5b8c\u6574\uff0c\u65e0\u6cd5\u6253\u5f00\u3002\u8bf7\u8054\u7cfb\u53d1\u4ef6\u4eba\u91cd\u65b0\u53d1\u9001\u3002',
      newer: '\u6b64\u90ae\u4ef6\u7531\u8f83\u65b0\u7248\u672c\u7684 Sealmilter \u751f\u6210\uff0c\u6b64\u67e5\u770b\u5668\u65e0\u6cd5\u6253\u5f00\u3002\u8bf7\u5411\u53d1\u4ef6\u4eba\u7d22\u53d6\u65b0\u526f\u672c\u3002',
      from: '\u53d1\u4ef6\u4eba', to: '\u6536\u4ef6\u4eba', cc: '\u6284\u9001', date: '\u65e5\u671f', subject: '\u4e3b\u9898', noSubject: '\uff08\u65e0\u4e3b\u9898\uff09',
      attachments: '\u9644\u4ef6',
      save: '\u4fdd\u5b58',
      showHtml: '\u683c\u5f0f\u5316',
      showText: '\u7eaf\u6587\u672c',
      print: '\u6253\u5370',
      reply: '\u5b89\u5168\u56de\u590d',
      remoteBlocked: '\u6b64\u90ae\u4ef6\u4e2d\u7684\u8fdc\u7a0b\u5185\u5bb9\u5df2\u88ab\u963b\u6b62\u3002',
      rights: '\u53d1\u4ef6\u4eba\u9650\u5236\u4e86\u6b64\u90ae\u4ef6\uff1a',
      rNoPrint: '\u7981\u6b62\u6253\u5370', rNoCopy: '\u7981\u6b62\u590d\u5236', rNoForward: '\u7981\u6b62\u8f6c\u53d1', rWatermark: '\u5e26\u6709\u60a8\u7684\u5730\u5740\u6c34\u5370',
      printBlocked: '\u4e0d\u5141\u8bb8\u6253\u5370\u6b64\u90ae\u4ef6\u3002',
      replyTitle: '\u5b89\u5168\u56de\u590d\u7ed9 {to}',
      replyText: '\u60a8\u7684\u56de\u590d',
      replyAttach: '\u6dfb\u52a0\u9644\u4ef6',
      replyAll: '\u540c\u65f6\u56de\u590d\u5176\u4ed6\u6536\u4ef6\u4eba',
      replyQuote: '\u5305\u542b\u539f\u6587',
      replyMake: '\u52a0\u5bc6\u56de\u590d',
      replyWorking: '\u6b63\u5728\u52a0\u5bc6\u2026\u2026',
      replyEmpty: '\u8bf7\u5148\u586b\u5199\u56de\u590d\u6216\u6dfb\u52a0\u9644\u4ef6\u3002',
      replySmall: '\u60a8\u7684\u56de\u590d\u5df2\u52a0\u5bc6\u3002\u70b9\u51fb\u94fe\u63a5\u5728\u90ae\u4ef6\u7a0b\u5e8f\u4e2d\u6253\u5f00\uff0c\u7136\u540e\u53d1\u9001\u3002',
      replyLink: '\u5728\u6211\u7684\u90ae\u4ef6\u7a0b\u5e8f\u4e2d\u6253\u5f00',
      replyLarge: '\u60a8\u7684\u56de\u590d\u5df2\u52a0\u5bc6\u3002\u8bf7\u4fdd\u5b58\u6587\u4ef6 secure-reply.txt\uff0c\u5c06\u5176\u4f5c\u4e3a\u9644\u4ef6\u53d1\u9001\u81f3 {to}\u3002',
      replySave: '\u4fdd\u5b58 secure-reply.txt',
      replyBlock: '\u52a0\u5bc6\u7684\u56de\u590d\uff08\u4e5f\u53ef\u4ee5\u7c98\u8d34\u5230\u53d1\u7ed9 {to} \u7684\u90ae\u4ef6\u4e2d\uff09\uff1a',
      replyNote: '\u8fd9\u662f\u4e00\u5c01\u52a0\u5bc6\u56de\u590d\uff0c\u53ea\u6709\u53d1\u4ef6\u4eba\u6240\u5728\u7684\u7ec4\u7ec7\u53ef\u4ee5\u9605\u8bfb\u3002',
      cancel: '\u53d6\u6d88',
      foot: '\u5728\u6b64\u6d4f\u89c8\u5668\u4e2d\u89e3\u5bc6\uff1b\u4e0d\u4f1a\u5411\u4efb\u4f55\u5730\u65b9\u53d1\u9001\u6570\u636e\u3002'
    },
    'zh-TW': {
      title: '\u52a0\u5bc6\u90f5\u4ef6',
      noCryptoTitle: '\u6b64\u7a0b\u5f0f\u7121\u6cd5\u958b\u555f\u8a72\u90f5\u4ef6',
      noCrypto: '\u6b64\u700f\u89bd\u5668\u6216\u90f5\u4ef6\u9810\u89bd\u7121\u6cd5\u89e3\u5bc6\u8a72\u90f5\u4ef6\uff08\u7f3a\u5c11 Web Crypto\uff09\u3002\u8acb\u5c07\u6a94\u6848 message.html \u5132\u5b58\u5230\u96fb\u8166\uff0c\u7136\u5f8c\u7528 Chrome\u3001Firefox\u3001Edge \u6216 Safari \u958b\u555f\u3002',
      unlockTitle: '\u8f38\u5165\u60a8\u7684\u5bc6\u78bc',
      unlockText: '\u8acb\u8f38\u5165\u60a8\u6536\u5230\u7684\u5bc6\u78bc\u4ee5\u958b\u555f\u6b64\u90f5\u4ef6\u3002',
      who: '\u6211\u662f',
      tryAll: '\u4ee5\u4e0a\u5730\u5740\u4e4b\u4e00\uff08\u9010\u4e00\u5617\u8a66\uff0c\u8f03\u6162\uff09',
      hint: '\u5bc4\u4ef6\u8005\u7684\u63d0\u793a\uff1a',
      passcode: '\u5bc6\u78bc',
      open: '\u958b\u555f',
      showPass: '\u986f\u793a\u5bc6\u78bc',
      checking: '\u6b63\u5728\u9a57\u8b49\u5bc6\u78bc\u2026\u2026',
      decrypting: '\u6b63\u5728\u89e3\u5bc6\u90f5\u4ef6\u2026\u2026',
      wrongPasscode: '\u5bc6\u78bc\u4e0d\u6b63\u78ba\u3002\u8acb\u6aa2\u67e5\u5f8c\u518d\u8a66\u4e00\u6b21\u3002',
      emptyPasscode: '\u8acb\u8f38\u5165\u5bc6\u78bc\u3002',
      expired: '\u6b64\u90f5\u4ef6\u5df2\u65bc {date} \u904e\u671f\uff0c\u7121\u6cd5\u518d\u958b\u555f\u3002\u8acb\u806f\u7d61\u5bc4\u4ef6\u8005\u91cd\u65b0\u50b3\u9001\u3002',
      expiresOn: '\u6b64\u90f5\u4ef6\u53ef\u958b\u555f\u81f3 {date}\u3002',
      damaged: '\u6b64\u6a94\u6848\u5df2\u640d\u58de\u6216\u4e0d\u5b8c\u6574\uff0c\u7121\u6cd5\u958b\u555f\u3002\u8acb\u806f\u7d61\u5bc4\u4ef6\u8005\u91cd\u65b0\u50b3\u9001\u3002',
      newer: '\u6b64\u90f5\u4ef6\u7531\u8f03\u65b0\u7248\u672c\u7684 Sealmilter \u7522\u751f\uff0c\u6b64\u6aa2\u8996\u5668\u7121\u6cd5\u958b\u555f\u3002\u8acb\u5411\u5bc4\u4ef6\u8005\u7d22\u53d6\u65b0\u526f\u672c\u3002',
      from: '\u5bc4\u4ef6\u8005', to: '\u6536\u4ef6\u8005', cc: '\u526f\u672c', date: '\u65e5\u671f', subject: '\u4e3b\u65e8', noSubject: '\uff08\u7121\u4e3b\u65e8\uff09',
      attachments: '\u9644\u4ef6',
      save: '\u5132\u5b58',
      showHtml: '\u683c\u5f0f\u5316',
      showText: '\u7d14\u6587\u5b57',
      print: '\u5217\u5370',
      reply: '\u5b89\u5168\u56de\u8986',
      remoteBlocked: '\u6b64\u90f5\u4ef6\u4e2d\u7684\u9060\u7aef\u5167\u5bb9\u5df2\u88ab\u5c01\u9396\u3002',
      rights: '\u5bc4\u4ef6\u8005\u9650\u5236\u4e86\u6b64\u90f5\u4ef6\uff1a',
      rNoPrint: '\u7981\u6b62\u5217\u5370', rNoCopy: '\u7981\u6b62\u8907\u88fd', rNoForward: '\u7981\u6b62\u8f49\u5bc4', rWatermark: '\u5e36\u6709\u60a8\u7684\u5730\u5740\u6d6e\u6c34\u5370',
      printBlocked: '\u4e0d\u5141\u8a31\u5217\u5370\u6b64\u90f5\u4ef6\u3002',
      replyTitle: '\u5b89\u5168\u56de\u8986\u7d66 {to}',
      replyText: '\u60a8\u7684\u56de\u8986',
      replyAttach: '\u9644\u52a0\u6a94\u6848',
      replyAll: '\u540c\u6642\u56de\u8986\u5176\u4ed6\u6536\u4ef6\u8005',
      replyQuote: '\u5305\u542b\u539f\u6587',
      replyMake: '\u52a0\u5bc6\u56de\u8986',
      replyWorking: '\u6b63\u5728\u52a0\u5bc6\u2026\u2026',
      replyEmpty: '\u8acb\u5148\u586b\u5beb\u56de\u8986\u6216\u9644\u52a0\u6a94\u6848\u3002',
      replySmall: '\u60a8\u7684\u56de\u8986\u5df2\u52a0\u5bc6\u3002\u6309\u4e00\u4e0b\u9023\u7d50\u5728\u90f5\u4ef6\u7a0b\u5f0f\u4e2d\u958b\u555f\uff0c\u7136\u5f8c\u50b3\u9001\u3002',
      replyLink: '\u5728\u6211\u7684\u90f5\u4ef6\u7a0b\u5f0f\u4e2d\u958b\u555f',
      replyLarge: '\u60a8\u7684\u56de\u8986\u5df2\u52a0\u5bc6\u3002\u8acb\u5132\u5b58\u6a94\u6848 secure-reply.txt\uff0c\u5c07\u5176\u9644\u52a0\u5230\u5bc4\u7d66 {to} \u7684\u90f5\u4ef6\u4e26\u50b3\u9001\u3002',
      replySave: '\u5132\u5b58 secure-reply.txt',
      replyBlock: '\u52a0\u5bc6\u7684\u56de\u8986\uff08\u4e5f\u53ef\u4ee5\u8cbc\u5230\u5bc4\u7d66 {to} \u7684\u90f5\u4ef6\u4e2d\uff09\uff1a',
      replyNote: '\u9019\u662f\u4e00\u5c01\u52a0\u5bc6\u56de\u8986\uff0c\u53ea\u6709\u5bc4\u4ef6\u8005\u6240\u5c6c\u7684\u7d44\u7e54\u53ef\u4ee5\u95b1\u8b80\u3002',
      cancel: '\u53d6\u6d88',
      foot: '\u5728\u6b64\u700f\u89bd\u5668\u4e2d\u89e3\u5bc6\uff1b\u4e0d\u6703\u5411\u4efb\u4f55\u5730\u65b9\u50b3\u9001\u8cc7\u6599\u3002'
    },
    ja: {
      title: '\u6697\u53f7\u5316\u3055\u308c\u305f\u30e1\u30c3\u30bb\u30fc\u30b8',
      noCryptoTitle: '\u3053\u306e\u30d7\u30ed\u30b0\u30e9\u30e0\u3067\u306f\u30e1\u30c3\u30bb\u30fc\u30b8\u3092\u958b\u3051\u307e\u305b\u3093',
      noCrypto: '\u3053\u306e\u30d6\u30e9\u30a6\u30b6\u30fc\u307e\u305f\u306f\u30e1\u30fc\u30eb\u306e\u30d7\u30ec\u30d3\u30e5\u30fc\u3067\u306f\u30e1\u30c3\u30bb\u30fc\u30b8\u3092\u5fa9\u53f7\u3067\u304d\u307e\u305b\u3093\uff08Web Crypto \u304c\u3042\u308a\u307e\u305b\u3093\uff09\u3002\u30d5\u30a1\u30a4\u30eb message.html \u3092\u30b3\u30f3\u30d4\u30e5\u30fc\u30bf\u30fc\u306b\u4fdd\u5b58\u3057\u3001Chrome\u3001Firefox\u3001Edge \u307e\u305f\u306f Safari \u3067\u958b\u3044\u3066\u304f\u3060\u3055\u3044\u3002',
      unlockTitle: '\u30d1\u30b9\u30b3\u30fc\u30c9\u3092\u5165\u529b\u3057\u3066\u304f\u3060\u3055\u3044',
      unlockText: '\u3053\u306e\u30e1\u30c3\u30bb\u30fc\u30b8\u3092\u958b\u304f\u306b\u306f\u3001\u53d7\u3051\u53d6\u3063\u305f\u30d1\u30b9\u30b3\u30fc\u30c9\u3092\u5165\u529b\u3057\u3066\u304f\u3060\u3055\u3044\u3002',
      who: '\u5b9b\u5148',
      tryAll: '\u3044\u305a\u308c\u304b\u306e\u30a2\u30c9\u30ec\u30b9\uff08\u3059\u3079\u3066\u8a66\u3059\u30fb\u6642\u9593\u304c\u304b\u304b\u308a\u307e\u3059\uff09',
      hint: '\u9001\u4fe1\u8005\u304b\u3089\u306e\u30d2\u30f3\u30c8\uff1a',
      passcode: '\u30d1\u30b9\u30b3\u30fc\u30c9',
      open: '\u958b\u304f',
      showPass: '\u30d1\u30b9\u30b3\u30fc\u30c9\u3092\u8868\u793a',
      checking: '\u30d1\u30b9\u30b3\u30fc\u30c9\u3092\u78ba\u8a8d\u3057\u3066\u3044\u307e\u3059\u2026',
      decrypting: '\u30e1\u30c3\u30bb\u30fc\u30b8\u3092\u5fa9\u53f7\u3057\u3066\u3044\u307e\u3059\u2026',
      wrongPasscode: '\u30d1\u30b9\u30b3\u30fc\u30c9\u304c\u6b63\u3057\u304f\u3042\u308a\u307e\u305b\u3093\u3002\u78ba\u8a8d\u3057\u3066\u3082\u3046\u4e00\u5ea6\u304a\u8a66\u3057\u304f\u3060\u3055\u3044\u3002',
      emptyPasscode: '\u30d1\u30b9\u30b3\u30fc\u30c9\u3092\u5165\u529b\u3057\u3066\u304f\u3060\u3055\u3044\u3002',
      expired: '\u3053\u306e\u30e1\u30c3\u30bb\u30fc\u30b8\u306f {date} \u306b\u6709\u52b9\u671f\u9650\u304c\u5207\u308c\u305f\u305f\u3081\u3001\u958b\u304f\u3053\u3068\u304c\u3067\u304d\u307e\u305b\u3093\u3002\u9001\u4fe1\u8005\u306b\u518d\u9001\u3092\u4f9d\u983c\u3057\u3066\u304f\u3060\u3055\u3044\u3002',
      expiresOn: '\u3053\u306e\u30e1\u30c3\u30bb\u30fc\u30b8\u306f {date} \u307e\u3067\u958b\u304f\u3053\u3068\u304c\u3067\u304d\u307e\u3059\u3002',
      damaged: '\u3053\u306e\u30d5\u30a1\u30a4\u30eb\u306f\u7834\u640d\u3057\u3066\u3044\u308b\u304b\u4e0d\u5b8c\u5168\u306a\u305f\u3081\u3001\u958b\u304f\u3053\u3068\u304c\u3067\u304d\u307e\u305b\u3093\u3002\u9001\u4fe1\u8005\u306b\u518d\u9001\u3092\u4f9d\u983c\u3057\u3066\u304f\u3060\u3055\u3044\u3002',
      newer: '\u3053\u306e\u30e1\u30c3\u30bb\u30fc\u30b8\u306f\u65b0\u3057\u3044\u30d0\u30fc\u30b8\u30e7\u30f3\u306e Sealmilter \u3067\u4f5c\u6210\u3055\u308c\u305f\u305f\u3081\u3001\u3053\u306e\u30d3\u30e5\u30fc\u30a2\u30fc\u3067\u306f\u958b\u3051\u307e\u305b\u3093\u3002\u9001\u4fe1\u8005\u306b\u65b0\u3057\u3044\u30b3\u30d4\u30fc\u3092\u4f9d\u983c\u3057\u3066\u304f\u3060\u3055\u3044\u3002',
      from: '\u5dee\u51fa\u4eba', to: '\u5b9b\u5148', cc: 'CC', date: '\u65e5\u4ed8', subject: '\u4ef6\u540d', noSubject: '\uff08\u4ef6\u540d\u306a\u3057\uff09',
      attachments: '\u6dfb\u4ed8\u30d5\u30a1\u30a4\u30eb',
      save: '\u4fdd\u5b58',
      showHtml: '\u66f8\u5f0f\u4ed8\u304d',
      showText: '\u30c6\u30ad\u30b9\u30c8',
      print: '\u5370\u5237',
      reply: '\u5b89\u5168\u306b\u8fd4\u4fe1',
      remoteBlocked: '\u3053\u306e\u30e1\u30c3\u30bb\u30fc\u30b8\u5185\u306e\u30ea\u30e2\u30fc\u30c8\u30b3\u30f3\u30c6\u30f3\u30c4\u306f\u30d6\u30ed\u30c3\u30af\u3055\u308c\u3066\u3044\u307e\u3059\u3002',
      rights: '\u9001\u4fe1\u8005\u306f\u3053\u306e\u30e1\u30c3\u30bb\u30fc\u30b8\u3092\u5236\u9650\u3057\u3066\u3044\u307e\u3059\uff1a',
      rNoPrint: '\u5370\u5237\u4e0d\u53ef', rNoCopy: '\u30b3\u30d4\u30fc\u4e0d\u53ef', rNoForward: '\u8ee2\u9001\u4e0d\u53ef', rWatermark: '\u3042\u306a\u305f\u306e\u30a2\u30c9\u30ec\u30b9\u306e\u900f\u304b\u3057\u5165\u308a',
      printBlocked: '\u3053\u306e\u30e1\u30c3\u30bb\u30fc\u30b8\u306e\u5370\u5237\u306f\u8a31\u53ef\u3055\u308c\u3066\u3044\u307e\u305b\u3093\u3002',
      replyTitle: '{to} \u3078\u306e\u5b89\u5168\u306a\u8fd4\u4fe1',
      replyText: '\u8fd4\u4fe1\u5185\u5bb9',
      replyAttach: '\u30d5\u30a1\u30a4\u30eb\u3092\u6dfb\u4ed8',
      replyAll: '\u307b\u304b\u306e\u53d7\u4fe1\u8005\u306b\u3082\u9001\u308b',
      replyQuote: '\u5143\u306e\u30c6\u30ad\u30b9\u30c8\u3092\u542b\u3081\u308b',
      replyMake: '\u8fd4\u4fe1\u3092\u6697\u53f7\u5316',
      replyWorking: '\u6697\u53f7\u5316\u3057\u3066\u3044\u307e\u3059\u2026',
      replyEmpty: '\u5148\u306b\u8fd4\u4fe1\u3092\u66f8\u304f\u304b\u3001\u30d5\u30a1\u30a4\u30eb\u3092\u6dfb\u4ed8\u3057\u3066\u304f\u3060\u3055\u3044\u3002',
      replySmall: '\u8fd4\u4fe1\u306f\u6697\u53f7\u5316\u3055\u308c\u307e\u3057\u305f\u3002\u30ea\u30f3\u30af\u3092\u30af\u30ea\u30c3\u30af\u3057\u3066\u30e1\u30fc\u30eb\u30bd\u30d5\u30c8\u3067\u958b\u304d\u3001\u9001\u4fe1\u3057\u3066\u304f\u3060\u3055\u3044\u3002',
      replyLink: '\u30e1\u30fc\u30eb\u30bd\u30d5\u30c8\u3067\u958b\u304f',
      replyLarge: '\u8fd4\u4fe1\u306f\u6697\u53f7\u5316\u3055\u308c\u307e\u3057\u305f\u3002\u30d5\u30a1\u30a4\u30eb secure-reply.txt \u3092\u4fdd\u5b58\u3057\u3001{to} \u5b9b\u3066\u306e\u30e1\u30fc\u30eb\u306b\u6dfb\u4ed8\u3057\u3066\u9001\u4fe1\u3057\u3066\u304f\u3060\u3055\u3044\u3002',
      replySave: 'secure-reply.txt \u3092\u4fdd\u5b58',
      replyBlock: '\u6697\u53f7\u5316\u3055\u308c\u305f\u8fd4\u4fe1\uff08{to} \u5b9b\u3066\u306e\u30e1\u30fc\u30eb\u306b\u8cbc\u308a\u4ed8\u3051\u308b\u3053\u3068\u3082\u3067\u304d\u307e\u3059\uff09\uff1a',
      replyNote: '\u3053\u308c\u306f\u6697\u53f7\u5316\u3055\u308c\u305f\u8fd4\u4fe1\u3067\u3059\u3002\u9001\u4fe1\u8005\u306e\u7d44\u7e54\u3060\u3051\u304c\u8aad\u3080\u3053\u3068\u304c\u3067\u304d\u307e\u3059\u3002',
      cancel: '\u30ad\u30e3\u30f3\u30bb\u30eb',
      foot: '\u3053\u306e\u30d6\u30e9\u30a6\u30b6\u30fc\u5185\u3067\u5fa9\u53f7\u3055\u308c\u307e\u3059\u3002\u30c7\u30fc\u30bf\u306f\u3069\u3053\u306b\u3082\u9001\u4fe1\u3055\u308c\u307e\u305b\u3093\u3002'
    },
    'pt-BR': {
      title: 'Mensagem segura',
      noCryptoTitle: 'Este programa n\u00e3o consegue abrir a mensagem',
      noCrypto: 'Este navegador ou visualizador de e-mail n\u00e3o consegue descriptografar a mensagem (falta o Web Crypto). Salve o arquivo message.html no seu computador e abra-o no Chrome, Firefox, Edge ou Safari.',
      unlockTitle: 'Digite seu c\u00f3digo de acesso',
      unlockText: 'Digite o c\u00f3digo de acesso que voc\u00ea recebeu para abrir esta mensagem.',
      who: 'Eu sou',
      tryAll: 'um destes endere\u00e7os (tentar todos, mais lento)',
      hint: 'Dica do remetente:',
      passcode: 'C\u00f3digo de acesso',
      open: 'Abrir',
      showPass: 'Mostrar c\u00f3digo',
      checking: 'Verificando o c\u00f3digo de acesso...',
      decrypting: 'Descriptografando a mensagem...',
      wrongPasscode: 'O c\u00f3digo de acesso n\u00e3o est\u00e1 correto. Verifique-o e tente novamente.',
      emptyPasscode: 'Digite o c\u00f3digo de acesso.',
      expired: 'Esta mensagem expirou em {date} e n\u00e3o pode mais ser aberta. Pe\u00e7a ao remetente que a envie novamente.',
      expiresOn: 'Esta mensagem pode ser aberta at\u00e9 {date}.',
      damaged: 'Este arquivo est\u00e1 danificado ou incompleto e n\u00e3o pode ser aberto. Pe\u00e7a ao remetente que o envie novamente.',
      newer: 'Esta mensagem foi criada por uma vers\u00e3o mais nova do Sealmilter; este visualizador n\u00e3o consegue abri-la. Pe\u00e7a uma nova c\u00f3pia ao remetente.',
      from: 'De', to: 'Para', cc: 'Cc', date: 'Data', subject: 'Assunto', noSubject: '(sem assunto)',
      attachments: 'Anexos',
      save: 'Salvar',
      showHtml: 'Formatado',
      showText: 'Texto simples',
      print: 'Imprimir',
      reply: 'Responder com seguran\u00e7a',
      remoteBlocked: 'O conte\u00fado remoto desta mensagem est\u00e1 bloqueado.',
      rights: 'O remetente restringiu esta mensagem:',
      rNoPrint: 'sem impress\u00e3o', rNoCopy: 'sem c\u00f3pia', rNoForward: 'sem encaminhamento', rWatermark: 'marcada com seu endere\u00e7o',
      printBlocked: 'N\u00e3o \u00e9 permitido imprimir esta mensagem.',
      replyTitle: 'Resposta segura para {to}',
      replyText: 'Sua resposta',
      replyAttach: 'Anexar arquivos',
      replyAll: 'Tamb\u00e9m para os outros destinat\u00e1rios',
      replyQuote: 'Incluir o texto original',
      replyMake: 'Criptografar resposta',
      replyWorking: 'Criptografando...',
      replyEmpty: 'Escreva uma resposta ou anexe um arquivo primeiro.',
      replySmall: 'Sua resposta est\u00e1 criptografada. Clique no link para abri-la no seu programa de e-mail e envie a mensagem.',
      replyLink: 'Abrir no meu programa de e-mail',
      replyLarge: 'Sua resposta est\u00e1 criptografada. Salve o arquivo secure-reply.txt, anexe-o a um e-mail para {to} e envie.',
      replySave: 'Salvar secure-reply.txt',
      replyBlock: 'A resposta criptografada (voc\u00ea tamb\u00e9m pode col\u00e1-la em um e-mail para {to}):',
      replyNote: 'Esta \u00e9 uma resposta criptografada. Somente a organiza\u00e7\u00e3o do remetente pode l\u00ea-la.',
      cancel: 'Cancelar',
      foot: 'Descriptografado neste navegador; nada \u00e9 enviado a lugar nenhum.'
    },
    es: {
      title: 'Mensaje seguro',
      noCryptoTitle: 'Este programa no puede abrir el mensaje',
      noCrypto: 'Este navegador o la vista previa del correo no puede descifrar el mensaje (falta Web Crypto). Guarde el archivo message.html en su equipo y \u00e1bralo en Chrome, Firefox, Edge o Safari.',
      unlockTitle: 'Introduzca su c\u00f3digo de acceso',
      unlockText: 'Introduzca el c\u00f3digo de acceso que recibi\u00f3 para abrir este mensaje.',
      who: 'Soy',
      tryAll: 'una de estas direcciones (probar todas, m\u00e1s lento)',
      hint: 'Pista del remitente:',
      passcode: 'C\u00f3digo de acceso',
      open: 'Abrir',
      showPass: 'Mostrar c\u00f3digo',
      checking: 'Comprobando el c\u00f3digo de acceso...',
      decrypting: 'Descifrando el mensaje...',
      wrongPasscode: 'El c\u00f3digo de acceso no es correcto. Compru\u00e9belo e int\u00e9ntelo de nuevo.',
      emptyPasscode: 'Introduzca el c\u00f3digo de acceso.',
      expired: 'Este mensaje caduc\u00f3 el {date} y ya no se puede abrir. Pida al remitente que lo env\u00ede de nuevo.',
      expiresOn: 'Este mensaje se puede abrir hasta el {date}.',
      damaged: 'Este archivo est\u00e1 da\u00f1ado o incompleto y no se puede abrir. Pida al remitente que lo env\u00ede de nuevo.',
      newer: 'Este mensaje se cre\u00f3 con una versi\u00f3n m\u00e1s reciente de Sealmilter; este visor no puede abrirlo. Pida una copia nueva al remitente.',
      from: 'De', to: 'Para', cc: 'CC', date: 'Fecha', subject: 'Asunto', noSubject: '(sin asunto)',
      attachments: 'Adjuntos',
      save: 'Guardar',
      showHtml: 'Con formato',
      showText: 'Texto sin formato',
      print: 'Imprimir',
      reply: 'Responder de forma segura',
      remoteBlocked: 'El contenido remoto de este mensaje est\u00e1 bloqueado.',
      rights: 'El remitente restringi\u00f3 este mensaje:',
      rNoPrint: 'sin impresi\u00f3n', rNoCopy: 'sin copia', rNoForward: 'sin reenv\u00edo', rWatermark: 'marcado con su direcci\u00f3n',
      printBlocked: 'No est\u00e1 permitido imprimir este mensaje.',
      replyTitle: 'Respuesta segura a {to}',
      replyText: 'Su respuesta',
      replyAttach: 'Adjuntar archivos',
      replyAll: 'Tambi\u00e9n a los dem\u00e1s destinatarios',
      replyQuote: 'Incluir el texto original',
      replyMake: 'Cifrar respuesta',
      replyWorking: 'Cifrando...',
      replyEmpty: 'Escriba una respuesta o adjunte un archivo primero.',
      replySmall: 'Su respuesta est\u00e1 cifrada. Haga clic en el enlace para abrirla en su programa de correo y env\u00ede el mensaje.',
      replyLink: 'Abrir en mi programa de correo',
      replyLarge: 'Su respuesta est\u00e1 cifrada. Guarde el archivo secure-reply.txt, adj\u00fantelo a un correo para {to} y env\u00edelo.',
      replySave: 'Guardar secure-reply.txt',
      replyBlock: 'La respuesta cifrada (tambi\u00e9n puede pegarla en un correo para {to}):',
      replyNote: 'Esta es una respuesta cifrada. Solo la organizaci\u00f3n del remitente puede leerla.',
      cancel: 'Cancelar',
      foot: 'Descifrado en este navegador; no se env\u00eda nada a ning\u00fan sitio.'
    }
  };

  /* ---------- small helpers ---------- */
  var enc = new TextEncoder();
  var subtle = (window.crypto && window.crypto.subtle) || null;
  var CHUNK_TAG = 16;
  var MAX_DEPTH = 40;
  var MAX_PARTS = 2000;

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { for (var k in attrs) { if (Object.prototype.hasOwnProperty.call(attrs, k)) { e.setAttribute(k, attrs[k]); } } }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function ViewerError(kind, detail) { this.kind = kind; this.detail = detail || ''; }
  function damaged(detail) { return new ViewerError('damaged', detail); }

  function concatBytes(list) {
    var n = 0, i;
    for (i = 0; i < list.length; i++) { n += list[i].length; }
    var out = new Uint8Array(n), o = 0;
    for (i = 0; i < list.length; i++) { out.set(list[i], o); o += list[i].length; }
    return out;
  }
  function u64be(i) {
    var b = new Uint8Array(8), hi = Math.floor(i / 4294967296), lo = i >>> 0;
    b[0] = hi >>> 24; b[1] = (hi >>> 16) & 255; b[2] = (hi >>> 8) & 255; b[3] = hi & 255;
    b[4] = lo >>> 24; b[5] = (lo >>> 16) & 255; b[6] = (lo >>> 8) & 255; b[7] = lo & 255;
    return b;
  }
  /* base64 (standard or url alphabet, padding optional) of a short string -> bytes; throws on junk */
  var B64 = new Int16Array(256);
  (function () {
    var a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', i;
    for (i = 0; i < 256; i++) { B64[i] = -1; }
    for (i = 0; i < 64; i++) { B64[a.charCodeAt(i)] = i; }
    B64[45] = 62; B64[95] = 63; /* - _ (base64url) */
    B64[32] = -2; B64[9] = -2; B64[10] = -2; B64[13] = -2; /* whitespace */
    B64[61] = -3; /* = */
  }());
  function b64Bytes(s, expectLen) {
    if (typeof s !== 'string') { throw damaged('base64 field missing'); }
    var out = new Uint8Array(Math.floor(s.length * 3 / 4) + 3), o = 0, acc = 0, bits = 0, i, c, v, pad = false;
    for (i = 0; i < s.length; i++) {
      c = s.charCodeAt(i); v = c < 256 ? B64[c] : -1;
      if (v === -2) { continue; }
      if (v === -3) { pad = true; continue; }
      if (v < 0 || pad) { throw damaged('bad base64'); }
      acc = ((acc << 6) | v) & 0xffffff; bits += 6;
      if (bits >= 8) { bits -= 8; out[o++] = (acc >> bits) & 255; }
    }
    var r = out.subarray(0, o);
    if (expectLen !== undefined && r.length !== expectLen) { throw damaged('bad field length'); }
    return r;
  }
  function bytesB64(u8) {
    var parts = [], i, s;
    for (i = 0; i < u8.length; i += 0x8000) {
      s = String.fromCharCode.apply(null, u8.subarray(i, Math.min(u8.length, i + 0x8000)));
      parts.push(s);
    }
    return btoa(parts.join(''));
  }
  function lines76(s, eol) {
    var out = [], i;
    for (i = 0; i < s.length; i += 76) { out.push(s.substring(i, i + 76)); }
    return out.join(eol);
  }
  function latin1(u8, start, end) {
    var parts = [], i;
    for (i = start; i < end; i += 0x8000) {
      parts.push(String.fromCharCode.apply(null, u8.subarray(i, Math.min(end, i + 0x8000))));
    }
    return parts.join('');
  }
  function decodeCharset(bytes, charset) {
    var label = (charset || 'utf-8').toLowerCase().trim();
    if (label === 'us-ascii' || label === 'ascii') { label = 'windows-1252'; }
    try { return new TextDecoder(label).decode(bytes); } catch (e) { /* unknown label */ }
    try { return new TextDecoder('utf-8').decode(bytes); } catch (e2) { return latin1(bytes, 0, bytes.length); }
  }
  function fmtSize(n) {
    if (n < 1024) { return n + ' B'; }
    if (n < 1048576) { return (n / 1024).toFixed(n < 10240 ? 1 : 0) + ' KB'; }
    return (n / 1048576).toFixed(1) + ' MB';
  }
  function randomHex(n) {
    var b = crypto.getRandomValues(new Uint8Array(n)), s = '', i;
    for (i = 0; i < n; i++) { s += (b[i] < 16 ? '0' : '') + b[i].toString(16); }
    return s;
  }
  function nextTick() { return new Promise(function (r) { setTimeout(r, 0); }); }

  /* ---------- language and config ---------- */
  var config = {};
  try {
    var cfgText = $('sealmilter-config') ? $('sealmilter-config').textContent.trim() : '';
    config = cfgText ? JSON.parse(cfgText) : {};
    if (!config || typeof config !== 'object') { config = {}; }
  } catch (e) { config = {}; }

  function pickLanguage(list) {
    for (var i = 0; i < list.length; i++) {
      var t = String(list[i] || '').split(';')[0].trim().toLowerCase().replace(/_/g, '-');
      if (t === 'zh' || t.indexOf('zh-') === 0) {
        if (/^zh-(hant|tw|hk|mo)\b/.test(t) || /-hant\b/.test(t)) { return 'zh-TW'; }
        return 'zh-CN';
      }
      if (t === 'ja' || t.indexOf('ja-') === 0) { return 'ja'; }
      if (t === 'pt' || t.indexOf('pt-') === 0) { return 'pt-BR'; }
      if (t === 'es' || t.indexOf('es-') === 0) { return 'es'; }
      if (t === 'en' || t.indexOf('en-') === 0) { return 'en'; }
    }
    return 'en';
  }
  var LANG = pickLanguage((navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language || 'en']);
  function t(key, vars) {
    var s, o = config.texts;
    if (o && typeof o === 'object') {
      if (o[LANG] && typeof o[LANG][key] === 'string') { s = o[LANG][key]; }
      else if (o['*'] && typeof o['*'][key] === 'string') { s = o['*'][key]; }
    }
    if (s === undefined) { s = TEXTS[LANG][key]; }
    if (s === undefined) { s = TEXTS.en[key] || key; }
    if (vars) { s = s.replace(/\{(\w+)\}/g, function (m, n) { return vars[n] !== undefined ? String(vars[n]) : m; }); }
    return s;
  }
  function fmtDate(d) {
    try { return d.toLocaleString(LANG, { dateStyle: 'long', timeStyle: 'short' }); } catch (e) { return d.toISOString(); }
  }

  function applyTexts() {
    document.documentElement.lang = LANG;
    document.title = t('title');
    var nodes = document.querySelectorAll('[data-t]'), i;
    for (i = 0; i < nodes.length; i++) { nodes[i].textContent = t(nodes[i].getAttribute('data-t')); }
    document.body.setAttribute('data-print-blocked', t('printBlocked'));
  }
  function applyBranding() {
    if (typeof config.organisation === 'string' && config.organisation) { $('brand-name').textContent = config.organisation; }
    if (typeof config.logo === 'string' && /^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+\/=]+$/.test(config.logo)) {
      $('brand-logo').src = config.logo; $('brand-logo').hidden = false;
      if (config.organisation) { $('brand-logo').alt = String(config.organisation); }
    }
    var c = config.colors || {}, root = document.documentElement.style;
    var map = { accent: '--accent', background: '--bg', text: '--text' };
    for (var k in map) {
      if (typeof c[k] === 'string' && /^#[0-9a-fA-F]{6}$/.test(c[k])) { root.setProperty(map[k], c[k]); }
    }
    if (typeof config.notice === 'string' && config.notice) { $('notice').textContent = config.notice; $('notice').hidden = false; }
  }

  /* ---------- status and panels ---------- */
  function showStatus(kind, text) {
    var s = $('status');
    s.className = 'status ' + kind; s.textContent = text; s.hidden = false;
    s.setAttribute('data-kind', kind);
  }
  function clearStatus() { $('status').hidden = true; $('status').textContent = ''; }
  function showError(err) {
    var kind = (err && err.kind) || 'damaged';
    var text;
    if (kind === 'wrong') { text = t('wrongPasscode'); }
    else if (kind === 'expired') { text = t('expired', { date: fmtDate(err.date) }); }
    else if (kind === 'newer') { text = t('newer'); }
    else { text = t('damaged'); kind = 'damaged'; }
    if (err && !(err instanceof ViewerError) && window.console) { console.error(err); }
    showStatus('error', text);
    $('status').setAttribute('data-error', kind);
  }

  /* ---------- the header ---------- */
  function readHeader() {
    var h;
    try { h = JSON.parse($('sealmilter-header').textContent); } catch (e) { throw damaged('header is not JSON'); }
    if (!h || h.format !== 'sealmilter-envelope') { throw damaged('not an envelope'); }
    if (typeof h.version !== 'number' || h.version < 1) { throw damaged('bad version'); }
    if (h.version > 1) { throw new ViewerError('newer'); }
    if (h.cipher !== 'AES-256-GCM' || h.chunk !== 65536) { throw damaged('bad cipher or chunk'); }
    if (typeof h.size !== 'number' || h.size < 4 || h.size > 4294967295 || Math.floor(h.size) !== h.size) { throw damaged('bad size'); }
    if (!h.kdf || h.kdf.name !== 'PBKDF2-SHA-256' || typeof h.kdf.iterations !== 'number' ||
        h.kdf.iterations < 100000 || h.kdf.iterations > 10000000) { throw damaged('bad kdf'); }
    if (!Array.isArray(h.recipients) || h.recipients.length === 0) { throw damaged('no recipients'); }
    h.idBytes = b64Bytes(h.id, 16);
    h.recipients.forEach(function (r) {
      r.saltBytes = b64Bytes(r.salt, 16); r.nonceBytes = b64Bytes(r.nonce, 12); r.wrappedBytes = b64Bytes(r.wrapped, 48);
      if (typeof r.address !== 'string') { r.address = ''; }
    });
    return h;
  }

  /* ---------- keys ---------- */
  function normalisePasscode(p) {
    return p.replace(/[a-z]/g, function (c) { return c.toUpperCase(); }).replace(/[ \t-]/g, '');
  }
  async function unwrapFor(h, r, pass) {
    var base = await subtle.importKey('raw', enc.encode(pass), 'PBKDF2', false, ['deriveKey']);
    var kwrap = await subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt: r.saltBytes, iterations: h.kdf.iterations },
      base, { name: 'AES-GCM', length: 256 }, false, ['decrypt']);
    var aad = concatBytes([enc.encode('sealmilter-envelope v1 wrap'), h.idBytes]);
    try {
      return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: r.nonceBytes, additionalData: aad, tagLength: 128 }, kwrap, r.wrappedBytes));
    } catch (e) { return null; }
  }
  async function contentKey(h, ck) {
    var ikm = await subtle.importKey('raw', ck, 'HKDF', false, ['deriveKey']);
    return subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: h.idBytes, info: enc.encode('sealmilter-envelope v1 content') },
      ikm, { name: 'AES-GCM', length: 256 }, false, ['decrypt']);
  }

  /* ---------- streaming base64 of the data element ---------- */
  /* Reads the ciphertext's base64 from the data element's text nodes one slice at a time
   * (no joined copy of the whole text): whitespace stripped, decoded natively by
   * Uint8Array.fromBase64 where the browser has it, else by atob. */
  var fromB64 = typeof Uint8Array.fromBase64 === 'function' ? function (s) { return Uint8Array.fromBase64(s); } : function (s) {
    var bin = atob(s), u = new Uint8Array(bin.length), i;
    for (i = 0; i < bin.length; i++) { u[i] = bin.charCodeAt(i); }
    return u;
  };
  function B64Reader(segments) {
    this.segs = segments; this.si = 0; this.sp = 0; this.buf = ''; this.carry = new Uint8Array(0);
  }
  B64Reader.prototype.fill = function (k) {
    while (this.buf.length < k && this.si < this.segs.length) {
      var seg = this.segs[this.si], take = Math.min(seg.length, this.sp + 131072);
      this.buf += seg.substring(this.sp, take).replace(/[\t\n\f\r ]+/g, '');
      this.sp = take;
      if (take >= seg.length) { this.si++; this.sp = 0; }
    }
  };
  B64Reader.prototype.read = function (n) {
    var out = new Uint8Array(n), o = Math.min(n, this.carry.length), bytes;
    out.set(this.carry.subarray(0, o));
    this.carry = this.carry.subarray(o);
    if (o === n) { return out; }
    var k = Math.ceil((n - o) / 3) * 4;
    this.fill(k);
    var str = this.buf.substring(0, k);
    this.buf = this.buf.substring(k);
    if (!str.length) { return out.subarray(0, o); }
    try { bytes = fromB64(str); } catch (e) { throw damaged('bad base64 in data'); }
    var take = Math.min(bytes.length, n - o);
    out.set(bytes.subarray(0, take), o); o += take;
    this.carry = bytes.subarray(take);
    return o === n ? out : out.subarray(0, o);
  };
  B64Reader.prototype.more = function () {
    if (this.carry.length) { return true; }
    this.fill(4);
    return /[A-Za-z0-9+\/]/.test(this.buf);
  };

  /* Decrypts the data chunk by chunk into one buffer of the payload's size; checks the
   * binding expiry as soon as the meta is in; reports progress. */
  async function decryptPayload(h, kcontent, onMeta, onProgress) {
    var dataEl = $('sealmilter-data'), segs = [], n;
    for (n = dataEl.firstChild; n; n = n.nextSibling) { if (n.nodeType === 3) { segs.push(n.data); } }
    var reader = new B64Reader(segs), b64ms = 0, tb;
    var size = h.size, piece = h.chunk + CHUNK_TAG;
    var nChunks = Math.max(1, Math.ceil(size / h.chunk));
    var payload = new Uint8Array(size), filled = 0, metaDone = false;
    var inflight = [], i = 0, done = false, WINDOW = 4;
    function start(idx, ct, final) {
      var aad = concatBytes([h.idBytes, u64be(idx), new Uint8Array([final ? 1 : 0])]);
      var iv = concatBytes([new Uint8Array(4), u64be(idx)]);
      return subtle.decrypt({ name: 'AES-GCM', iv: iv, additionalData: aad, tagLength: 128 }, kcontent, ct)
        .then(function (pt) { return new Uint8Array(pt); }, function () { throw damaged('chunk ' + idx + ' failed'); });
    }
    while (!done || inflight.length) {
      while (!done && inflight.length < WINDOW) {
        tb = performance.now();
        var ct = reader.read(piece);
        var final = ct.length < piece || !reader.more();
        b64ms += performance.now() - tb;
        if (ct.length < CHUNK_TAG + 1) { throw damaged('short chunk'); }
        inflight.push(start(i, ct, final));
        i++;
        if (final) { done = true; }
        if (i > nChunks) { throw damaged('more data than size'); }
      }
      var pt = await inflight.shift();
      if (filled + pt.length > size) { throw damaged('more data than size'); }
      payload.set(pt, filled); filled += pt.length;
      if (!metaDone && filled >= 4) {
        var mlen = ((payload[0] << 24) >>> 0) + (payload[1] << 16) + (payload[2] << 8) + payload[3];
        if (mlen > 1048576 || 4 + mlen > size) { throw damaged('bad meta length'); }
        if (filled >= 4 + mlen) { metaDone = true; onMeta(payload.subarray(4, 4 + mlen)); }
      }
      onProgress(filled / size);
    }
    if (filled !== size) { throw damaged('size mismatch'); }
    reader.segs = null;
    document.body.setAttribute('data-base64-ms', String(Math.round(b64ms)));
    return payload;
  }

  function parseMeta(bytes) {
    var m;
    try { m = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)); } catch (e) { throw damaged('meta is not JSON'); }
    if (!m || typeof m !== 'object') { throw damaged('meta'); }
    if (typeof m.v === 'number' && m.v > 1) { throw new ViewerError('newer'); }
    var exp = null;
    [m.expires, m.rights && m.rights.expires].forEach(function (x) {
      if (x === undefined || x === null) { return; }
      var d = new Date(x);
      if (isNaN(d.getTime())) { throw damaged('bad expiry'); }
      if (!exp || d < exp) { exp = d; }
    });
    m.expiry = exp;
    if (exp && Date.now() >= exp.getTime()) { var e = new ViewerError('expired'); e.date = exp; throw e; }
    return m;
  }

  /* ---------- MIME ---------- */
  function findSeq(buf, seq, from, end) {
    var first = seq[0], n = seq.length, i, k;
    while (from <= end - n) {
      i = buf.indexOf(first, from);
      if (i < 0 || i > end - n) { return -1; }
      for (k = 1; k < n; k++) { if (buf[i + k] !== seq[k]) { break; } }
      if (k === n) { return i; }
      from = i + 1;
    }
    return -1;
  }
  function headerText(buf, start, end) {
    var b = buf.subarray(start, end);
    try { return new TextDecoder('utf-8', { fatal: true }).decode(b); } catch (e) { return latin1(buf, start, end); }
  }
  function parseHeaderBlock(text) {
    var lines = text.split(/\r?\n/), out = [], i, line, m;
    for (i = 0; i < lines.length; i++) {
      line = lines[i];
      if ((line[0] === ' ' || line[0] === '\t') && out.length) { out[out.length - 1].value += ' ' + line.trim(); continue; }
      m = /^([^:\s]+)\s*:\s?(.*)$/.exec(line);
      if (m) { out.push({ name: m[1].toLowerCase(), value: m[2] }); }
    }
    return out;
  }
  function getHeader(headers, name) {
    for (var i = 0; i < headers.length; i++) { if (headers[i].name === name) { return headers[i].value; } }
    return null;
  }
  /* RFC 2047 encoded words */
  function decodeWords(s) {
    if (!s || s.indexOf('=?') < 0) { return s || ''; }
    var re = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;
    var out = '', last = 0, m, pendingWs = '', prevWord = false, bytes;
    while ((m = re.exec(s)) !== null) {
      var between = s.substring(last, m.index);
      if (!(prevWord && /^\s*$/.test(between))) { out += between; }
      var cs = m[1].split('*')[0];
      try {
        if (m[2] === 'b' || m[2] === 'B') { bytes = b64Bytes(m[3]); }
        else {
          var q = m[3].replace(/_/g, ' '), arr = [], j;
          for (j = 0; j < q.length; j++) {
            if (q[j] === '=' && /^[0-9a-fA-F]{2}$/.test(q.substr(j + 1, 2))) { arr.push(parseInt(q.substr(j + 1, 2), 16)); j += 2; }
            else { arr.push(q.charCodeAt(j) & 255); }
          }
          bytes = new Uint8Array(arr);
        }
        out += decodeCharset(bytes, cs);
      } catch (e) { out += m[0]; }
      last = re.lastIndex; prevWord = true;
    }
    out += s.substring(last);
    void pendingWs;
    return out;
  }
  /* Content-Type / Content-Disposition: value and parameters (RFC 2045, RFC 2231) */
  function parseStructured(v) {
    var res = { value: '', params: {} };
    if (!v) { return res; }
    var parts = [], cur = '', q = false, i, c, depth = 0;
    for (i = 0; i < v.length; i++) {
      c = v[i];
      if (q) { if (c === '\\' && i + 1 < v.length) { cur += v[++i]; continue; } if (c === '"') { q = false; } cur += c; continue; }
      if (c === '"') { q = true; cur += c; continue; }
      if (c === '(') { depth++; continue; }
      if (c === ')' && depth) { depth--; continue; }
      if (depth) { continue; }
      if (c === ';') { parts.push(cur); cur = ''; continue; }
      cur += c;
    }
    parts.push(cur);
    res.value = parts[0].trim().toLowerCase();
    var ext = {};
    for (i = 1; i < parts.length; i++) {
      var eq = parts[i].indexOf('=');
      if (eq < 0) { continue; }
      var name = parts[i].substring(0, eq).trim().toLowerCase(), val = parts[i].substring(eq + 1).trim();
      var quoted = val[0] === '"';
      if (quoted) { val = val.replace(/^"|"$/g, ''); }
      var m = /^([^*]+)\*(\d+)?(\*)?$/.exec(name);
      if (m && (m[2] !== undefined || m[3] !== undefined || name.slice(-1) === '*')) {
        var base = m[1], idx = m[2] === undefined ? 0 : parseInt(m[2], 10), encd = m[3] === '*' || (m[2] === undefined);
        (ext[base] = ext[base] || []).push({ idx: idx, val: val, encd: encd });
      } else if (!(name in res.params)) {
        res.params[name] = quoted ? decodeWords(val) : val;
      }
    }
    Object.keys(ext).forEach(function (base) {
      var segs = ext[base].sort(function (a, b) { return a.idx - b.idx; }), charset = 'utf-8', bytes = [], j, k, sv;
      for (j = 0; j < segs.length; j++) {
        sv = segs[j].val;
        if (segs[j].encd) {
          if (j === 0) { var mm = /^([^']*)'[^']*'(.*)$/.exec(sv); if (mm) { charset = mm[1] || 'utf-8'; sv = mm[2]; } }
          for (k = 0; k < sv.length; k++) {
            if (sv[k] === '%' && /^[0-9a-fA-F]{2}$/.test(sv.substr(k + 1, 2))) { bytes.push(parseInt(sv.substr(k + 1, 2), 16)); k += 2; }
            else { bytes.push(sv.charCodeAt(k) & 255); }
          }
        } else {
          var eb = enc.encode(sv);
          for (k = 0; k < eb.length; k++) { bytes.push(eb[k]); }
        }
      }
      res.params[base] = decodeCharset(new Uint8Array(bytes), charset);
    });
    return res;
  }

  function parseEntity(buf, start, end, depth, defaultType, counter) {
    counter.n++;
    var hEnd = -1, bStart = end, i = start;
    if (buf[start] === 10) { hEnd = start; bStart = start + 1; }
    else if (buf[start] === 13 && buf[start + 1] === 10) { hEnd = start; bStart = start + 2; }
    else {
      while (i < end) {
        var nl = buf.indexOf(10, i);
        if (nl < 0 || nl >= end) { break; }
        if (buf[nl + 1] === 10) { hEnd = nl + 1; bStart = nl + 2; break; }
        if (buf[nl + 1] === 13 && buf[nl + 2] === 10) { hEnd = nl + 1; bStart = nl + 3; break; }
        i = nl + 1;
      }
      if (hEnd < 0) { hEnd = end; bStart = end; }
    }
    var headers = parseHeaderBlock(headerText(buf, start, hEnd));
    var ctRaw = getHeader(headers, 'content-type');
    var ct = parseStructured(ctRaw || defaultType);
    if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(ct.value)) { ct = parseStructured(defaultType); }
    var disp = parseStructured(getHeader(headers, 'content-disposition'));
    var part = {
      headers: headers, type: ct.value, params: ct.params, disposition: disp.value, dparams: disp.params,
      cte: (getHeader(headers, 'content-transfer-encoding') || '7bit').trim().toLowerCase(),
      cid: (getHeader(headers, 'content-id') || '').trim().replace(/^<|>$/g, ''),
      buf: buf, start: bStart, end: Math.max(bStart, end), children: null
    };
    if (part.type.indexOf('multipart/') === 0 && ct.params.boundary && depth < MAX_DEPTH && counter.n < MAX_PARTS) {
      part.children = [];
      var childDefault = part.type === 'multipart/digest' ? 'message/rfc822' : 'text/plain; charset=us-ascii';
      var delim = enc.encode('--' + ct.params.boundary), pos = bStart, marks = [];
      for (;;) {
        var j = findSeq(buf, delim, pos, end);
        if (j < 0) { break; }
        var after = j + delim.length, ch = buf[after];
        var atLineStart = j === bStart || buf[j - 1] === 10;
        var closes = ch === 45 && buf[after + 1] === 45;
        if (atLineStart && (closes || after >= end || ch === 13 || ch === 10 || ch === 32 || ch === 9)) {
          var pre = j;
          if (pre > bStart && buf[pre - 1] === 10) { pre--; if (pre > bStart && buf[pre - 1] === 13) { pre--; } }
          var eol = buf.indexOf(10, after);
          var next = (eol < 0 || eol >= end) ? end : eol + 1;
          marks.push({ pre: pre, next: next, closes: closes });
          if (closes) { break; }
          pos = next;
        } else { pos = j + 1; }
      }
      for (var k = 0; k < marks.length; k++) {
        if (marks[k].closes) { break; }
        var pEnd = k + 1 < marks.length ? marks[k + 1].pre : end;
        if (counter.n >= MAX_PARTS) { break; }
        part.children.push(parseEntity(buf, marks[k].next, pEnd, depth + 1, childDefault, counter));
      }
    }
    return part;
  }

  function decodeBody(part) {
    var b = part.buf, s = part.start, e = part.end;
    if (part.cte === 'base64') {
      var out = new Uint8Array(Math.floor((e - s) * 3 / 4) + 3), o = 0, acc = 0, bits = 0, i, v;
      for (i = s; i < e; i++) {
        v = B64[b[i]];
        if (v === -3) { break; }
        if (v < 0 || b[i] === 45 || b[i] === 95) { continue; }
        acc = ((acc << 6) | v) & 0xffffff; bits += 6;
        if (bits >= 8) { bits -= 8; out[o++] = (acc >> bits) & 255; }
      }
      return out.subarray(0, o);
    }
    if (part.cte === 'quoted-printable') {
      var q = new Uint8Array(e - s), n = 0, j, c, h1, h2;
      for (j = s; j < e; j++) {
        c = b[j];
        if (c === 61) {
          if (b[j + 1] === 10) { j += 1; continue; }
          if (b[j + 1] === 13 && b[j + 2] === 10) { j += 2; continue; }
          h1 = hexv(b[j + 1]); h2 = hexv(b[j + 2]);
          if (j + 2 < e && h1 >= 0 && h2 >= 0) { q[n++] = h1 * 16 + h2; j += 2; continue; }
          /* "=" followed by blanks up to the line end: a soft break with padding */
          var w = j + 1;
          while (w < e && (b[w] === 32 || b[w] === 9)) { w++; }
          if (w < e && (b[w] === 10 || (b[w] === 13 && b[w + 1] === 10))) { j = b[w] === 10 ? w : w + 1; continue; }
          q[n++] = c; continue;
        }
        if ((c === 32 || c === 9)) {
          var w2 = j;
          while (w2 < e && (b[w2] === 32 || b[w2] === 9)) { w2++; }
          if (w2 >= e || b[w2] === 10 || b[w2] === 13) { j = w2 - 1; continue; }
        }
        q[n++] = c;
      }
      return q.subarray(0, n);
    }
    return b.subarray(s, e);
  }
  function hexv(c) {
    if (c >= 48 && c <= 57) { return c - 48; }
    if (c >= 65 && c <= 70) { return c - 55; }
    if (c >= 97 && c <= 102) { return c - 87; }
    return -1;
  }
  function partName(p) {
    var n = p.dparams.filename || p.params.name || '';
    n = n.replace(/[\u0000-\u001f\u007f]/g, '').replace(/[\/\\]/g, '_').replace(/^\.+/, '').trim();
    return n;
  }
  function leaves(p, out) {
    if (p.children) { for (var i = 0; i < p.children.length; i++) { leaves(p.children[i], out); } }
    else { out.push(p); }
    return out;
  }
  function isBodyText(p, type) {
    return p.type === type && p.disposition !== 'attachment' && !partName(p);
  }

  /* ---------- showing the message ---------- */
  var state = { header: null, meta: null, rights: {}, address: '', message: null, root: null };

  function rightsOf(meta) {
    var r = meta.rights && typeof meta.rights === 'object' ? meta.rights : {};
    return {
      noPrint: r.no_print === true, noCopy: r.no_copy === true, noForward: r.no_forward === true,
      noReplyAll: r.no_reply_all === true, watermark: r.watermark === true, reply: r.reply !== false
    };
  }

  function blockCopy(e) {
    var tg = e.target;
    if (tg && tg.closest && tg.closest('#reply')) { return; }
    e.preventDefault();
    if (e.clipboardData) { try { e.clipboardData.setData('text/plain', ''); } catch (x) { /* ignore */ } }
  }
  function enforceRights(r) {
    if (r.noPrint) { document.body.classList.add('no-print'); }
    if (r.noCopy) {
      document.body.classList.add('no-copy');
      ['copy', 'cut', 'contextmenu', 'selectstart', 'dragstart'].forEach(function (ev) { document.addEventListener(ev, blockCopy, true); });
    }
  }
  function addWatermark(container) {
    var wm = el('div', { 'class': 'watermark', 'aria-hidden': 'true', id: 'watermark' });
    var label = (state.address || '') + '  ' + new Date().toISOString().substring(0, 10);
    for (var i = 0; i < 80; i++) { wm.appendChild(el('span', null, label)); }
    container.appendChild(wm);
  }

  function htmlDocument(part, cids, used) {
    var html = decodeCharset(decodeBody(part), part.params.charset);
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var all = doc.querySelectorAll('script, iframe, object, embed, frame, frameset, base, meta[http-equiv]'), i;
    for (i = 0; i < all.length; i++) { all[i].remove(); }
    var imgs = doc.querySelectorAll('[src]');
    for (i = 0; i < imgs.length; i++) {
      var src = imgs[i].getAttribute('src') || '';
      if (/^cid:/i.test(src)) {
        var id = decodeURIComponent(src.substring(4)).replace(/^<|>$/g, '');
        var p = cids[id];
        if (p && /^image\//.test(p.type)) {
          imgs[i].setAttribute('src', 'data:' + p.type + ';base64,' + bytesB64(decodeBody(p)));
          used.push(p);
        }
      }
    }
    var csp = doc.createElement('meta');
    csp.setAttribute('http-equiv', 'Content-Security-Policy');
    csp.setAttribute('content', "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'");
    doc.head.insertBefore(csp, doc.head.firstChild);
    return '<!DOCTYPE html>' + doc.documentElement.outerHTML;
  }

  function render(message) {
    var root = parseEntity(message, 0, message.length, 0, 'text/plain; charset=us-ascii', { n: 0 });
    state.root = root;
    var list = leaves(root, []), textPart = null, htmlPart = null, i, p;
    for (i = 0; i < list.length; i++) {
      p = list[i];
      if (!textPart && isBodyText(p, 'text/plain')) { textPart = p; }
      else if (!htmlPart && isBodyText(p, 'text/html')) { htmlPart = p; }
    }
    var cids = {};
    for (i = 0; i < list.length; i++) { if (list[i].cid) { cids[list[i].cid] = list[i]; } }
    var used = [];
    var r = state.rights;
    var box = $('message');
    box.textContent = '';

    var head = el('div', { 'class': 'msg-head' });
    var subj = decodeWords(getHeader(root.headers, 'subject') || '');
    head.appendChild(el('h2', { id: 'msg-subject' }, subj || t('noSubject')));
    var table = el('table');
    [['from', 'from'], ['to', 'to'], ['cc', 'cc'], ['date', 'date']].forEach(function (f) {
      var v = getHeader(root.headers, f[0]);
      if (!v) { return; }
      v = decodeWords(v);
      if (f[0] === 'date') { var d = new Date(v); if (!isNaN(d.getTime())) { v = fmtDate(d); } }
      var tr = el('tr'); tr.appendChild(el('th', null, t(f[1]))); tr.appendChild(el('td', { id: 'msg-' + f[0] }, v));
      table.appendChild(tr);
    });
    head.appendChild(table);
    box.appendChild(head);

    var tools = el('div', { 'class': 'msg-tools' });
    box.appendChild(tools);
    var body = el('div', { 'class': 'msg-body', id: 'msg-body' });
    box.appendChild(body);

    var textView = null, htmlView = null;
    if (textPart) {
      textView = el('pre', { 'class': 'msg-text', id: 'msg-text' }, decodeCharset(decodeBody(textPart), textPart.params.charset));
    }
    if (htmlPart) {
      htmlView = el('div', { id: 'msg-html-box' });
      var frame = el('iframe', { 'class': 'msg-frame', id: 'msg-html', sandbox: '', referrerpolicy: 'no-referrer', tabindex: r.noCopy ? '-1' : '0', title: subj });
      frame.srcdoc = htmlDocument(htmlPart, cids, used);
      htmlView.appendChild(frame);
      if (r.noCopy) { htmlView.appendChild(el('div', { 'class': 'frame-shield' })); }
      htmlView.appendChild(el('p', { 'class': 'muted' }, t('remoteBlocked')));
    }
    if (!textView && htmlPart) {
      /* an HTML-only message: its text (for reply quoting) */
      var d2 = new DOMParser().parseFromString(decodeCharset(decodeBody(htmlPart), htmlPart.params.charset), 'text/html');
      state.plainForQuote = d2.body ? d2.body.textContent : '';
    } else if (textView) { state.plainForQuote = textView.textContent; }
    function show(which) {
      if (textView) { textView.hidden = which !== 'text'; }
      if (htmlView) { htmlView.hidden = which !== 'html'; }
    }
    if (textView) { body.appendChild(textView); }
    if (htmlView) { body.appendChild(htmlView); }
    if (textView && htmlView) {
      var bH = el('button', { type: 'button', 'class': 'secondary', id: 'show-html' }, t('showHtml'));
      var bT = el('button', { type: 'button', 'class': 'secondary', id: 'show-text' }, t('showText'));
      bH.addEventListener('click', function () { show('html'); });
      bT.addEventListener('click', function () { show('text'); });
      tools.appendChild(bH); tools.appendChild(bT);
    }
    show(htmlView ? 'html' : 'text');
    if (!r.noPrint) {
      var bP = el('button', { type: 'button', 'class': 'secondary', id: 'print' }, t('print'));
      bP.addEventListener('click', function () { window.print(); });
      tools.appendChild(bP);
    }
    if (r.reply && state.meta.reply && state.meta.reply.key && state.meta.reply.to && state.header.recovery && state.header.recovery.public) {
      var bR = el('button', { type: 'button', id: 'reply-button' }, t('reply'));
      bR.addEventListener('click', openReply);
      tools.appendChild(bR);
    }
    if (!tools.firstChild) { tools.hidden = true; }

    var notes = [];
    if (r.noPrint) { notes.push(t('rNoPrint')); }
    if (r.noCopy) { notes.push(t('rNoCopy')); }
    if (r.noForward) { notes.push(t('rNoForward')); }
    if (r.watermark) { notes.push(t('rWatermark')); }
    if (notes.length) { box.insertBefore(el('p', { 'class': 'rights', id: 'rights-note' }, t('rights') + ' ' + notes.join(', ')), head); }

    var atts = [];
    for (i = 0; i < list.length; i++) {
      p = list[i];
      if (p === textPart || p === htmlPart || used.indexOf(p) >= 0) { continue; }
      if (p.end <= p.start && !partName(p)) { continue; }
      atts.push(p);
    }
    if (atts.length) {
      var sec = el('div', { 'class': 'attachments', id: 'attachments' });
      sec.appendChild(el('h3', null, t('attachments')));
      var ul = el('ul');
      atts.forEach(function (a, n) {
        var name = partName(a) || ('attachment-' + (n + 1) + (a.type === 'message/rfc822' ? '.eml' : a.type.indexOf('text/') === 0 ? '.txt' : '.bin'));
        var approx = a.cte === 'base64' ? Math.floor((a.end - a.start) * 57 / 78) : (a.end - a.start);
        var li = el('li');
        li.appendChild(el('span', { 'class': 'name' }, name));
        li.appendChild(el('span', { 'class': 'meta' }, a.type + ', ' + fmtSize(approx)));
        var link = el('a', { 'class': 'button secondary', href: '#', 'data-name': name }, t('save'));
        link.addEventListener('click', function (ev) {
          ev.preventDefault();
          saveBlob(decodeBody(a), name, a.type || 'application/octet-stream');
        });
        li.appendChild(link);
        ul.appendChild(li);
      });
      sec.appendChild(ul);
      body.appendChild(sec);
    }
    if (r.watermark) { addWatermark(body); }
    box.hidden = false;
  }

  function saveBlob(bytes, name, type) {
    var url = URL.createObjectURL(new Blob([bytes], { type: type }));
    var a = el('a', { href: url, download: name });
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 60000);
  }

  /* ---------- secure reply ---------- */
  function encodeHeaderWord(s) {
    if (/^[\x20-\x7e]*$/.test(s)) { return s; }
    return '=?UTF-8?B?' + bytesB64(enc.encode(s)) + '?=';
  }
  function qpEncode(text) {
    var bytes = enc.encode(text.replace(/\r?\n/g, '\r\n')), out = [], line = '', i, c, tok;
    for (i = 0; i < bytes.length; i++) {
      c = bytes[i];
      if (c === 13 && bytes[i + 1] === 10) {
        if (/[ \t]$/.test(line)) { var last = line.charCodeAt(line.length - 1); line = line.slice(0, -1) + '=' + (last < 16 ? '0' : '') + last.toString(16).toUpperCase(); }
        out.push(line); line = ''; i++; continue;
      }
      tok = (c >= 33 && c <= 126 && c !== 61) || c === 32 || c === 9 ? String.fromCharCode(c) : '=' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
      if (line.length + tok.length > 75) { out.push(line + '='); line = ''; }
      line += tok;
    }
    if (/[ \t]$/.test(line)) { line += '='; }
    out.push(line);
    return out.join('\r\n');
  }
  function rfc2822Date(d) {
    var days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
    var mons = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    function p2(n) { return (n < 10 ? '0' : '') + n; }
    return days[d.getUTCDay()] + ', ' + d.getUTCDate() + ' ' + mons[d.getUTCMonth()] + ' ' + d.getUTCFullYear() + ' ' +
      p2(d.getUTCHours()) + ':' + p2(d.getUTCMinutes()) + ':' + p2(d.getUTCSeconds()) + ' +0000';
  }
  function safeAddr(s) { return String(s || '').replace(/[\r\n]/g, ' ').trim(); }
  function filenameParam(name) {
    if (/^[\x20-\x7e]*$/.test(name) && name.indexOf('"') < 0 && name.indexOf('\\') < 0) { return 'filename="' + name + '"'; }
    return "filename*=utf-8''" + encodeURIComponent(name).replace(/['()*]/g, function (c) { return '%' + c.charCodeAt(0).toString(16).toUpperCase(); });
  }
  async function buildReplyMime(text, files, cc) {
    var m = state.meta, h = [];
    var domain = (state.address.split('@')[1] || 'sealmilter.invalid').replace(/[^A-Za-z0-9.-]/g, '');
    h.push('From: ' + safeAddr(state.address));
    h.push('To: ' + safeAddr(m.reply.to));
    if (cc.length) { h.push('Cc: ' + cc.map(safeAddr).join(', ')); }
    h.push('Subject: ' + encodeHeaderWord(safeAddr(m.reply.subject || '')));
    h.push('Date: ' + rfc2822Date(new Date()));
    h.push('Message-ID: <' + randomHex(12) + '.reply@' + domain + '>');
    if (m.message_id) {
      var mid = safeAddr(m.message_id);
      if (mid[0] !== '<') { mid = '<' + mid + '>'; }
      h.push('In-Reply-To: ' + mid); h.push('References: ' + mid);
    }
    h.push('MIME-Version: 1.0');
    var textPart = 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' + qpEncode(text) + '\r\n';
    if (!files.length) { return enc.encode(h.join('\r\n') + '\r\n' + textPart); }
    var boundary = '=_sealmilter_reply_' + randomHex(12);
    var parts = [enc.encode(h.join('\r\n') + '\r\nContent-Type: multipart/mixed; boundary="' + boundary + '"\r\n\r\n' +
      'This is a multi-part message in MIME format.\r\n--' + boundary + '\r\n' + textPart)];
    for (var i = 0; i < files.length; i++) {
      var f = files[i], data = new Uint8Array(await f.arrayBuffer());
      var type = /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/i.test(f.type || '') ? f.type : 'application/octet-stream';
      parts.push(enc.encode('--' + boundary + '\r\nContent-Type: ' + type + '\r\nContent-Transfer-Encoding: base64\r\n' +
        'Content-Disposition: attachment; ' + filenameParam(f.name) + '\r\n\r\n' + lines76(bytesB64(data), '\r\n') + '\r\n'));
    }
    parts.push(enc.encode('--' + boundary + '--\r\n'));
    return concatBytes(parts);
  }
  async function sealReply(mime) {
    var h = state.header, id = h.idBytes;
    var orgPub = await subtle.importKey('spki', b64Bytes(h.recovery.public), { name: 'ECDH', namedCurve: 'P-256' }, false, []);
    var eph = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
    var shared = await subtle.deriveBits({ name: 'ECDH', public: orgPub }, eph.privateKey, 256);
    var epk = new Uint8Array(await subtle.exportKey('spki', eph.publicKey));
    var info = enc.encode('sealmilter-envelope v1 reply-content');
    var ikm = await subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
    var kr = await subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: id, info: info }, ikm, { name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    var nonce = crypto.getRandomValues(new Uint8Array(12));
    var ct = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: concatBytes([info, id]), tagLength: 128 }, kr, mime));
    var mk = await subtle.importKey('raw', b64Bytes(state.meta.reply.key, 32), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    var mac = new Uint8Array(await subtle.sign('HMAC', mk, concatBytes([enc.encode('sealmilter-envelope v1 reply-mac'), id, epk, nonce, ct])));
    var R = JSON.stringify({ v: 1, envelope: h.id, epk: bytesB64(epk), nonce: bytesB64(nonce), ct: bytesB64(ct), mac: bytesB64(mac) });
    /* the armor lines are put together here, so that the page itself never holds them
     * (a tool looking for a reply block in a file must not find one in the viewer) */
    var dashes = '-----', label = ' SEALMILTER SECURE REPLY';
    return dashes + 'BEGIN' + label + dashes + '\r\n' + lines76(bytesB64(enc.encode(R)), '\r\n') + '\r\n' +
      dashes + 'END' + label + dashes + '\r\n';
  }
  function others() {
    var m = state.meta, seen = {}, out = [];
    var me = state.address.toLowerCase(), to = String(m.reply.to || '').toLowerCase();
    [].concat(Array.isArray(m.to) ? m.to : [], Array.isArray(m.cc) ? m.cc : []).forEach(function (a) {
      var s = String(a), k = s.toLowerCase();
      if (!s || seen[k] || k.indexOf(me) >= 0 || k === to) { return; }
      seen[k] = true; out.push(s);
    });
    return out;
  }
  function openReply() {
    var r = state.rights, m = state.meta, box = $('reply');
    box.textContent = '';
    box.appendChild(el('h2', null, t('replyTitle', { to: m.reply.to })));
    var form = el('form', { id: 'reply-form' });
    form.appendChild(el('label', { 'for': 'reply-text' }, t('replyText')));
    var ta = el('textarea', { id: 'reply-text' });
    form.appendChild(ta);
    var fileRow = el('div', { 'class': 'row' });
    fileRow.appendChild(el('label', { 'for': 'reply-files' }, t('replyAttach')));
    var files = el('input', { type: 'file', id: 'reply-files', multiple: '' });
    fileRow.appendChild(files);
    form.appendChild(fileRow);
    var all = null, quote = null, oth = others();
    if (!r.noReplyAll && oth.length) {
      var l1 = el('label', { 'class': 'check' }); all = el('input', { type: 'checkbox', id: 'reply-all' });
      l1.appendChild(all); l1.appendChild(document.createTextNode(' ' + t('replyAll') + ' (' + oth.join(', ') + ')'));
      form.appendChild(el('p')).appendChild(l1);
    }
    if (!r.noForward && !r.noCopy && state.plainForQuote) {
      var l2 = el('label', { 'class': 'check' }); quote = el('input', { type: 'checkbox', id: 'reply-quote' });
      l2.appendChild(quote); l2.appendChild(document.createTextNode(' ' + t('replyQuote')));
      form.appendChild(el('p')).appendChild(l2);
    }
    var row = el('div', { 'class': 'row' });
    var go = el('button', { type: 'submit', id: 'reply-encrypt' }, t('replyMake'));
    var cancel = el('button', { type: 'button', 'class': 'secondary' }, t('cancel'));
    cancel.addEventListener('click', function () { box.hidden = true; box.textContent = ''; });
    row.appendChild(go); row.appendChild(cancel);
    form.appendChild(row);
    var out = el('div', { id: 'reply-out' });
    box.appendChild(form); box.appendChild(out);
    form.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      out.textContent = '';
      var text = ta.value;
      if (quote && quote.checked) { text += '\n\n' + state.plainForQuote.split(/\r?\n/).map(function (l) { return '> ' + l; }).join('\n'); }
      if (!text.trim() && !files.files.length) { out.appendChild(el('p', { 'class': 'status error' }, t('replyEmpty'))); return; }
      go.disabled = true; go.textContent = t('replyWorking');
      try {
        var cc = all && all.checked ? oth : [];
        var block = await sealReply(await buildReplyMime(text, Array.prototype.slice.call(files.files), cc));
        var url = 'mailto:' + encodeURIComponent(m.reply.to) + '?' + (cc.length ? 'cc=' + encodeURIComponent(cc.join(',')) + '&' : '') +
          'subject=' + encodeURIComponent(m.reply.subject || '') + '&body=' + encodeURIComponent(t('replyNote') + '\r\n\r\n' + block);
        if (url.length < 1800) {
          out.appendChild(el('p', null, t('replySmall')));
          out.appendChild(el('a', { 'class': 'button', id: 'reply-mailto', href: url }, t('replyLink')));
        } else {
          out.appendChild(el('p', null, t('replyLarge', { to: m.reply.to })));
          var sv = el('a', { 'class': 'button', id: 'reply-file', href: '#' }, t('replySave'));
          sv.addEventListener('click', function (e2) { e2.preventDefault(); saveBlob(enc.encode(block), 'secure-reply.txt', 'text/plain'); });
          out.appendChild(sv);
        }
        if (block.length < 200000) {
          out.appendChild(el('p', { 'class': 'muted' }, t('replyBlock', { to: m.reply.to })));
          var pre = el('textarea', { 'class': 'block', id: 'reply-block', readonly: '' });
          pre.value = block;
          out.appendChild(pre);
        }
      } catch (e) {
        if (window.console) { console.error(e); }
        out.appendChild(el('p', { 'class': 'status error' }, t('damaged')));
      } finally { go.disabled = false; go.textContent = t('replyMake'); }
    });
    box.hidden = false;
    ta.focus();
  }

  /* ---------- the flow ---------- */
  function setProgress(text, frac) {
    $('progress').hidden = false;
    $('progress-text').textContent = text;
    var bar = $('progress-bar');
    if (frac === null) { bar.removeAttribute('value'); } else { bar.max = 1; bar.value = frac; }
  }

  async function unlock(ev) {
    ev.preventDefault();
    var h = state.header, pass = normalisePasscode($('passcode').value);
    clearStatus();
    if (!pass) { showStatus('error', t('emptyPasscode')); return; }
    var who = $('who').value, cands = [];
    h.recipients.forEach(function (r, i) { if (who === 'all' || who === String(i)) { cands.push(r); } });
    $('open').disabled = true; $('passcode').disabled = true;
    var t0 = performance.now(), ck = null, rcp = null;
    try {
      setProgress(t('checking'), null);
      for (var i = 0; i < cands.length && !ck; i++) { ck = await unwrapFor(h, cands[i], pass); rcp = cands[i]; }
      if (!ck) { throw new ViewerError('wrong'); }
      var t1 = performance.now();
      state.address = rcp.address;
      var kc = await contentKey(h, ck);
      ck.fill(0);
      setProgress(t('decrypting'), 0);
      var payload = await decryptPayload(h, kc, function (mbytes) {
        state.meta = parseMeta(mbytes);
        state.rights = rightsOf(state.meta);
      }, function (f) { $('progress-bar').value = f; });
      var t2 = performance.now();
      var mlen = ((payload[0] << 24) >>> 0) + (payload[1] << 16) + (payload[2] << 8) + payload[3];
      var message = payload.subarray(4 + mlen);
      $('unlock').hidden = true; $('progress').hidden = true;
      enforceRights(state.rights);
      render(message);
      var t3 = performance.now();
      document.body.setAttribute('data-kdf-ms', String(Math.round(t1 - t0)));
      document.body.setAttribute('data-decrypt-ms', String(Math.round(t2 - t1)));
      document.body.setAttribute('data-render-ms', String(Math.round(t3 - t2)));
      document.body.setAttribute('data-state', 'open');
      var data = $('sealmilter-data');
      if (data) { data.textContent = ''; }
    } catch (e) {
      $('progress').hidden = true;
      showError(e);
      document.body.setAttribute('data-state', 'error-' + ((e && e.kind) || 'damaged'));
      if (e && e.kind === 'wrong') {
        $('open').disabled = false; $('passcode').disabled = false; $('passcode').value = ''; $('passcode').focus();
      } else {
        $('unlock').hidden = true;
      }
    }
  }

  function init() {
    $('js-off').hidden = true;
    applyTexts();
    applyBranding();
    if (!subtle || typeof subtle.decrypt !== 'function' || typeof TextDecoder === 'undefined' || typeof DOMParser === 'undefined') {
      $('nocrypto').hidden = false;
      document.body.setAttribute('data-state', 'nocrypto');
      return;
    }
    var h;
    try { h = readHeader(); } catch (e) {
      showError(e); document.body.setAttribute('data-state', 'error-' + ((e && e.kind) || 'damaged')); return;
    }
    state.header = h;
    if (h.expires) {
      var ex = new Date(h.expires);
      if (!isNaN(ex.getTime())) {
        if (Date.now() >= ex.getTime()) {
          var err = new ViewerError('expired'); err.date = ex; showError(err);
          document.body.setAttribute('data-state', 'error-expired'); return;
        }
        $('expires-note').textContent = t('expiresOn', { date: fmtDate(ex) }); $('expires-note').hidden = false;
      }
    }
    var sel = $('who');
    h.recipients.forEach(function (r, i) { sel.appendChild(el('option', { value: String(i) }, r.address || ('#' + (i + 1)))); });
    if (h.recipients.length > 1) {
      sel.appendChild(el('option', { value: 'all' }, t('tryAll')));
      $('who-row').hidden = false;
    }
    function showHint() {
      var r = h.recipients[parseInt(sel.value, 10)], hint = r && typeof r.hint === 'string' ? r.hint : '';
      if (sel.value === 'all') {
        var hs = []; h.recipients.forEach(function (x) { if (x.hint && hs.indexOf(x.hint) < 0) { hs.push(x.hint); } });
        hint = hs.join(' / ');
      }
      $('hint-text').textContent = hint; $('hint').hidden = !hint;
    }
    sel.addEventListener('change', showHint);
    showHint();
    $('show-pass').addEventListener('change', function () { $('passcode').type = this.checked ? 'text' : 'password'; });
    $('unlock-form').addEventListener('submit', unlock);
    $('unlock').hidden = false;
    document.body.setAttribute('data-state', 'locked');
    $('passcode').focus();
  }

  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', init); } else { init(); }
}());
