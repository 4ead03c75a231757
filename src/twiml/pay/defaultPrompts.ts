/**
 * What `<Pay>` says when no `<Prompt>` fits: a sentence per field, per error and per step, in the `<Pay>` language.
 * Twilio speaks its own built-in prompts then; these are paytone's wording (docs/ivr-payments.md lists them), so an
 * IVR with no `<Prompt>` at all still guides the caller through a payment.
 *
 * @example
 *   defaultWords('es-MX').ask['payment-card-number'] // 'Por favor, introduzca el número de su tarjeta, ...'
 */

/** Twilio's `<Pay language>` values: its docs' list and the twilio-node enum together. */
export const PAY_LANGUAGES = [
  'en-US', 'en-AU', 'en-CA', 'en-GB', 'en-IE', 'en-IN', 'en-NZ', 'en-PH', 'en-ZA',
  'es-ES', 'es-MX', 'es-US', 'fr-CA', 'fr-FR', 'de-DE', 'it-IT',
] as const;
export type PayLanguage = (typeof PAY_LANGUAGES)[number];

/** The steps a `<Prompt for>` names. */
export const PROMPT_STEPS = [
  'payment-card-number', 'expiration-date', 'security-code', 'postal-code',
  'bank-routing-number', 'bank-account-number', 'payment-processing',
] as const;
export type PromptStep = (typeof PROMPT_STEPS)[number];

/** `<Prompt errorType>` values: Twilio's list, and the callbacks' `input-timeout` spelling of `timeout`. */
export const PROMPT_ERROR_TYPES = [
  'timeout', 'invalid-card-number', 'invalid-card-type', 'invalid-date', 'invalid-security-code', 'invalid-postal-code',
  'invalid-bank-routing-number', 'invalid-bank-account-number', 'input-matching-failed', 'internal-error',
] as const;
export type PromptErrorType = (typeof PROMPT_ERROR_TYPES)[number];

export interface DefaultWords {
  ask: Record<PromptStep, string>;
  /** Asked after a field was typed once, to type it again. */
  again: string;
  /** Said before the field is asked again. */
  error: Record<PromptErrorType, string>;
}

const ENGLISH: DefaultWords = {
  ask: {
    'payment-card-number': 'Please enter your card number, followed by the pound key.',
    'expiration-date': 'Please enter the expiration date, two digits for the month and two for the year.',
    'security-code': 'Please enter the security code.',
    'postal-code': 'Please enter your postal code, followed by the pound key.',
    'bank-routing-number': 'Please enter your bank routing number.',
    'bank-account-number': 'Please enter your bank account number, followed by the pound key.',
    'payment-processing': 'Thank you. Please wait while your payment is processed.',
  },
  again: 'Please enter it again to confirm.',
  error: {
    timeout: 'We did not receive your entry.',
    'invalid-card-number': 'That card number is not valid.',
    'invalid-card-type': 'That card type is not accepted.',
    'invalid-date': 'That expiration date is not valid.',
    'invalid-security-code': 'That security code is not valid.',
    'invalid-postal-code': 'That postal code is not valid.',
    'invalid-bank-routing-number': 'That routing number is not valid.',
    'invalid-bank-account-number': 'That account number is not valid.',
    'input-matching-failed': 'The two entries did not match.',
    'internal-error': 'Something went wrong.',
  },
};

/** Other languages: the card steps and the errors in a few words each; bank steps are English only, as on Twilio. */
function words(card: [string, string, string, string, string], again: string, timeout: string, invalid: string, mismatch: string): DefaultWords {
  const [number, expiry, code, postal, processing] = card;
  const error = Object.fromEntries(PROMPT_ERROR_TYPES.map((t) => [t, invalid])) as Record<PromptErrorType, string>;
  return {
    ask: { ...ENGLISH.ask, 'payment-card-number': number, 'expiration-date': expiry, 'security-code': code, 'postal-code': postal, 'payment-processing': processing },
    again,
    error: { ...error, timeout, 'input-matching-failed': mismatch },
  };
}

const SPANISH = words(
  [
    'Por favor, introduzca el número de su tarjeta, seguido de la tecla numeral.',
    'Por favor, introduzca la fecha de vencimiento: dos dígitos para el mes y dos para el año.',
    'Por favor, introduzca el código de seguridad.',
    'Por favor, introduzca su código postal, seguido de la tecla numeral.',
    'Gracias. Espere mientras procesamos su pago.',
  ],
  'Por favor, introdúzcalo de nuevo para confirmar.',
  'No hemos recibido su respuesta.',
  'El dato introducido no es válido.',
  'Los datos no coinciden.',
);

const FRENCH = words(
  [
    'Veuillez saisir votre numéro de carte, suivi de la touche dièse.',
    "Veuillez saisir la date d'expiration : deux chiffres pour le mois et deux pour l'année.",
    'Veuillez saisir le code de sécurité.',
    'Veuillez saisir votre code postal, suivi de la touche dièse.',
    'Merci. Veuillez patienter pendant le traitement de votre paiement.',
  ],
  'Veuillez le saisir à nouveau pour confirmer.',
  "Nous n'avons pas reçu votre saisie.",
  "Cette saisie n'est pas valide.",
  'Les deux saisies ne correspondent pas.',
);

const GERMAN = words(
  [
    'Bitte geben Sie Ihre Kartennummer ein, gefolgt von der Rautetaste.',
    'Bitte geben Sie das Ablaufdatum ein: zwei Ziffern für den Monat und zwei für das Jahr.',
    'Bitte geben Sie den Sicherheitscode ein.',
    'Bitte geben Sie Ihre Postleitzahl ein, gefolgt von der Rautetaste.',
    'Vielen Dank. Bitte warten Sie, während wir Ihre Zahlung bearbeiten.',
  ],
  'Bitte geben Sie es zur Bestätigung erneut ein.',
  'Wir haben keine Eingabe erhalten.',
  'Diese Eingabe ist ungültig.',
  'Die beiden Eingaben stimmen nicht überein.',
);

const ITALIAN = words(
  [
    'Inserisca il numero della carta, seguito dal tasto cancelletto.',
    "Inserisca la data di scadenza: due cifre per il mese e due per l'anno.",
    'Inserisca il codice di sicurezza.',
    'Inserisca il codice postale, seguito dal tasto cancelletto.',
    'Grazie. Attenda mentre elaboriamo il pagamento.',
  ],
  'Lo inserisca di nuovo per conferma.',
  'Non abbiamo ricevuto la sua risposta.',
  'Il dato inserito non è valido.',
  'I due dati non corrispondono.',
);

export function defaultWords(language: PayLanguage): DefaultWords {
  switch (language.slice(0, 2)) {
    case 'es':
      return SPANISH;
    case 'fr':
      return FRENCH;
    case 'de':
      return GERMAN;
    case 'it':
      return ITALIAN;
    default:
      return ENGLISH;
  }
}
