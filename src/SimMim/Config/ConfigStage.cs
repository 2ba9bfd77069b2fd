namespace SimMim.Config;

/// <summary>Which run a config is for; some checks apply only to masked pretraining or only to fine-tuning.</summary>
public enum ConfigStage
{
    Pretrain,
    Finetune,
}
