import type { ComposedLanguage } from '../language.js';

export type Purpose = 'pre_arrival' | 'booking_confirmation' | 'apology' | 'upsell_follow_up' | 'post_stay' | 'other';

export interface MessageTexts {
  greeting(name: string): string;
  /** Subject and opening paragraph per purpose. */
  purposes: Record<Purpose, { subject: string; opening: string }>;
  factsIntro: string;
  yes: string;
  no: string;
  closing: string;
}

export const MESSAGE_TEXTS: Record<ComposedLanguage, MessageTexts> = {
  en: {
    greeting: (name) => `Dear ${name},`,
    purposes: {
      pre_arrival: { subject: 'Your upcoming stay', opening: 'We are looking forward to welcoming you soon.' },
      booking_confirmation: { subject: 'Your booking confirmation', opening: 'Thank you for your booking. We are pleased to confirm your reservation.' },
      apology: { subject: 'Our apologies', opening: 'We are sorry for the inconvenience you experienced and thank you for your patience.' },
      upsell_follow_up: { subject: 'Make the most of your stay', opening: 'We would like to remind you of the extras that can make your stay even more enjoyable.' },
      post_stay: { subject: 'Thank you for staying with us', opening: 'Thank you for staying with us. We hope you enjoyed your time and would be delighted to welcome you again.' },
      other: { subject: 'A message from your hotel', opening: 'We would like to share some information about your stay.' },
    },
    factsIntro: 'Here are the details we have for you:',
    yes: 'yes',
    no: 'no',
    closing: 'Kind regards,\nYour hotel team',
  },
  de: {
    greeting: (name) => `Guten Tag ${name},`,
    purposes: {
      pre_arrival: { subject: 'Ihr bevorstehender Aufenthalt', opening: 'Wir freuen uns darauf, Sie bald bei uns begrüßen zu dürfen.' },
      booking_confirmation: { subject: 'Ihre Buchungsbestätigung', opening: 'Vielen Dank für Ihre Buchung. Gerne bestätigen wir Ihre Reservierung.' },
      apology: { subject: 'Unsere Entschuldigung', opening: 'Wir bedauern die entstandenen Unannehmlichkeiten und danken Ihnen für Ihre Geduld.' },
      upsell_follow_up: { subject: 'Holen Sie mehr aus Ihrem Aufenthalt heraus', opening: 'Gerne erinnern wir Sie an unsere Zusatzangebote, die Ihren Aufenthalt noch angenehmer machen.' },
      post_stay: { subject: 'Vielen Dank für Ihren Aufenthalt', opening: 'Vielen Dank, dass Sie bei uns zu Gast waren. Wir hoffen, Sie hatten eine schöne Zeit, und freuen uns, Sie wieder begrüßen zu dürfen.' },
      other: { subject: 'Eine Nachricht von Ihrem Hotel', opening: 'Gerne teilen wir Ihnen einige Informationen zu Ihrem Aufenthalt mit.' },
    },
    factsIntro: 'Hier sind die Angaben, die uns vorliegen:',
    yes: 'ja',
    no: 'nein',
    closing: 'Freundliche Grüße\nIhr Hotelteam',
  },
  fr: {
    greeting: (name) => `Bonjour ${name},`,
    purposes: {
      pre_arrival: { subject: 'Votre séjour à venir', opening: 'Nous avons hâte de vous accueillir très prochainement.' },
      booking_confirmation: { subject: 'Confirmation de votre réservation', opening: 'Merci pour votre réservation. Nous avons le plaisir de vous la confirmer.' },
      apology: { subject: 'Toutes nos excuses', opening: 'Nous sommes désolés pour le désagrément rencontré et vous remercions de votre patience.' },
      upsell_follow_up: { subject: 'Profitez pleinement de votre séjour', opening: 'Nous vous rappelons les prestations supplémentaires qui rendront votre séjour encore plus agréable.' },
      post_stay: { subject: 'Merci de votre séjour', opening: 'Merci d’avoir séjourné chez nous. Nous espérons que vous avez passé un agréable moment et serions ravis de vous accueillir à nouveau.' },
      other: { subject: 'Un message de votre hôtel', opening: 'Nous souhaitons vous transmettre quelques informations concernant votre séjour.' },
    },
    factsIntro: 'Voici les informations dont nous disposons :',
    yes: 'oui',
    no: 'non',
    closing: 'Bien cordialement,\nL’équipe de l’hôtel',
  },
  es: {
    greeting: (name) => `Estimado/a ${name}:`,
    purposes: {
      pre_arrival: { subject: 'Su próxima estancia', opening: 'Estamos deseando darle la bienvenida muy pronto.' },
      booking_confirmation: { subject: 'Confirmación de su reserva', opening: 'Gracias por su reserva. Nos complace confirmarla.' },
      apology: { subject: 'Le pedimos disculpas', opening: 'Lamentamos las molestias ocasionadas y le agradecemos su paciencia.' },
      upsell_follow_up: { subject: 'Aproveche al máximo su estancia', opening: 'Le recordamos los servicios adicionales que harán su estancia aún más agradable.' },
      post_stay: { subject: 'Gracias por alojarse con nosotros', opening: 'Gracias por alojarse con nosotros. Esperamos que haya disfrutado y nos encantará darle de nuevo la bienvenida.' },
      other: { subject: 'Un mensaje de su hotel', opening: 'Queremos compartir con usted información sobre su estancia.' },
    },
    factsIntro: 'Estos son los datos que tenemos:',
    yes: 'sí',
    no: 'no',
    closing: 'Saludos cordiales,\nEl equipo del hotel',
  },
  it: {
    greeting: (name) => `Gentile ${name},`,
    purposes: {
      pre_arrival: { subject: 'Il suo prossimo soggiorno', opening: 'Non vediamo l’ora di darle il benvenuto.' },
      booking_confirmation: { subject: 'Conferma della sua prenotazione', opening: 'Grazie per la sua prenotazione. Siamo lieti di confermarla.' },
      apology: { subject: 'Le nostre scuse', opening: 'Ci scusiamo per il disagio e la ringraziamo per la pazienza.' },
      upsell_follow_up: { subject: 'Approfitti al meglio del suo soggiorno', opening: 'Le ricordiamo i servizi aggiuntivi che renderanno il suo soggiorno ancora più piacevole.' },
      post_stay: { subject: 'Grazie per aver soggiornato da noi', opening: 'Grazie per aver soggiornato da noi. Speriamo che il soggiorno le sia piaciuto e saremo lieti di accoglierla di nuovo.' },
      other: { subject: 'Un messaggio dal suo hotel', opening: 'Desideriamo condividere con lei alcune informazioni sul suo soggiorno.' },
    },
    factsIntro: 'Ecco i dettagli in nostro possesso:',
    yes: 'sì',
    no: 'no',
    closing: 'Cordiali saluti,\nIl team dell’hotel',
  },
  nl: {
    greeting: (name) => `Beste ${name},`,
    purposes: {
      pre_arrival: { subject: 'Uw aanstaande verblijf', opening: 'Wij kijken ernaar uit u binnenkort te verwelkomen.' },
      booking_confirmation: { subject: 'Bevestiging van uw boeking', opening: 'Hartelijk dank voor uw boeking. Graag bevestigen wij uw reservering.' },
      apology: { subject: 'Onze excuses', opening: 'Het spijt ons dat u ongemak heeft ondervonden en wij danken u voor uw geduld.' },
      upsell_follow_up: { subject: 'Haal meer uit uw verblijf', opening: 'Graag herinneren wij u aan de extra’s die uw verblijf nog aangenamer maken.' },
      post_stay: { subject: 'Bedankt voor uw verblijf', opening: 'Bedankt dat u bij ons verbleef. Wij hopen dat u heeft genoten en heten u graag opnieuw welkom.' },
      other: { subject: 'Een bericht van uw hotel', opening: 'Graag delen wij enkele gegevens over uw verblijf met u.' },
    },
    factsIntro: 'Dit zijn de gegevens die wij voor u hebben:',
    yes: 'ja',
    no: 'nee',
    closing: 'Met vriendelijke groet,\nUw hotelteam',
  },
};
