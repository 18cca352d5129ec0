/**
 * Very frequent words of the languages guests write in (en, de, fr, es, it, nl). The hashing embedder
 * down-weights them so that two unrelated texts do not look alike merely for sharing "the" and "and".
 */
export const STOPWORDS: ReadonlySet<string> = new Set(
  [
    // en
    'a an and are as at be but by can do does for from has have i if in into is it its me my no not of on or our so than that the their them then there these they this to us was we were what when where which who will with you your',
    // de
    'aber als am an auch auf aus bei bin bis das dass dem den der des die ein eine einen einer es für hat ich ihr im in ist ja kann mit nach nicht noch oder sie sind so um und von vor war was wie wir zu zum zur',
    // fr
    'au aux avec ce ces dans de des du elle en est et il je la le les leur mais me mon ne nous on ou par pas pour qu que qui sa se ses son sur ta te un une vous y à',
    // es
    'al como con de del el en es esta este hay la las le lo los mi no o para pero por que se su sus un una y yo',
    // it
    'a al alla che ci con da del della di e gli ha ho i il in la le lo ma mi non per più se si sono su un una',
    // nl
    'aan al bij dat de die dit een en er het hij ik in is je met na niet of om op te van voor was we wij ze zijn',
  ]
    .join(' ')
    .split(' '),
);
